using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>
/// Prunes the gallery to <see cref="RetentionOptions.Days"/> days in the background (<see cref="GalleryStore.DeleteBefore"/>),
/// once the service is ready and then every <see cref="RetentionOptions.IntervalMinutes"/>. A failed pruning is logged
/// and tried again at the next interval; nothing else is affected.
/// </summary>
public sealed class RetentionService(
    IServiceProvider services, StartupState state, IOptions<RetentionOptions> options, ILogger<RetentionService> logger) : BackgroundService
{
    /// <summary>When the last pruning finished (UTC) and how many items it deleted; null before the first.</summary>
    public (DateTimeOffset At, long Deleted)? LastRun { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = options.Value;
        if (retention.Days <= 0)
            return;
        var column = retention.Column == "created_at" ? GalleryTimeColumn.CreatedAt : GalleryTimeColumn.CapturedAt;
        while (!state.IsReady)
        {
            if (state.Failure is not null)
                return;
            await Task.Delay(200, stoppingToken);
        }

        var store = services.GetRequiredService<GalleryStore>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var before = DateTimeOffset.UtcNow - TimeSpan.FromDays(retention.Days);
            try
            {
                long deleted = await Task.Run(() => store.DeleteBefore(column, before, stoppingToken), stoppingToken);
                LastRun = (DateTimeOffset.UtcNow, deleted);
                logger.LogInformation("Retention: deleted {Count} gallery items with {Column} before {Before:O}", deleted, retention.Column, before);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Retention: pruning items with {Column} before {Before:O} failed; retrying in {Minutes} min", retention.Column, before, retention.IntervalMinutes);
            }

            await Task.Delay(TimeSpan.FromMinutes(retention.IntervalMinutes), stoppingToken);
        }
    }
}
