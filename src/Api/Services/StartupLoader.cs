using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>
/// Opens the model session, the model card and the gallery while the host starts, so a missing model, a model that
/// breaks the contract or an unopenable gallery stops start-up with its message instead of failing the first request.
/// </summary>
public sealed class StartupLoader(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<OnnxEmbedder>();
        services.GetRequiredService<ModelCard>();
        services.GetRequiredService<GalleryStore>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
