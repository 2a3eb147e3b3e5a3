using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Index;
using SanReid.Inference;

namespace SanReid.Api.Services;

/// <summary>
/// Degraded (503) while the model or gallery is loading, Unhealthy (503) after start-up failed (data: <c>stage</c>; after a failure <c>failed_stage</c> and a generic <c>failure</c> pointing to the log).
/// Healthy once loaded; reports the execution provider, batching settings and gallery size.
/// </summary>
public sealed class ReadinessHealthCheck(StartupState state, IServiceProvider services, IOptions<BatchingOptions> batching) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!state.IsReady)
        {
            var pending = new Dictionary<string, object> { ["stage"] = state.Stage };
            if (state.Failure is not null)
            {
                // The reason stays in the log: it may name server paths.
                pending["failed_stage"] = state.FailedStage ?? "";
                pending["failure"] = state.PublicFailure;
            }
            // Loading is expected, not a fault: Degraded (logged by the health-check service as a warning, not an error;
            // /health/ready still answers 503). A failed start-up is Unhealthy.
            return Task.FromResult(state.Failure is null
                ? HealthCheckResult.Degraded($"Starting: {state.Stage}.", data: pending)
                : HealthCheckResult.Unhealthy(state.PublicFailure, data: pending));
        }
        var embedder = services.GetRequiredService<OnnxEmbedder>();
        var store = services.GetRequiredService<GalleryStore>();
        var data = new Dictionary<string, object>
        {
            ["stage"] = state.Stage,
            ["execution_provider"] = embedder.ExecutionProvider,
            ["model"] = Path.GetFileName(embedder.ModelPath),
            ["dimension"] = embedder.Dimension,
            ["gallery_items"] = store.Count,
            ["batching"] = batching.Value.Enabled,
            ["seconds_to_ready"] = Math.Round(state.SecondsToReady ?? 0, 2),
        };
        // The index in use and its last build: a failed train or rebuild (the previous index keeps serving) shows here.
        var index = store.IndexStatus;
        data["index"] = index.ActiveFactory;
        if (index.Nprobe is { } nprobe)
            data["index_nprobe"] = nprobe;
        if (index.CalibratedRecall is { } recall)
            data["index_calibrated_recall_at_10"] = Math.Round(recall, 3);
        data["index_building"] = index.Building;
        if (index.LastError is not null)
            data["index_error"] = index.LastError;
        if (store.EmbeddingModel is { } fingerprint)
            data["gallery_model"] = fingerprint;
        if (embedder.ProviderNote is not null)
            data["provider_note"] = embedder.ProviderNote;
        return Task.FromResult(HealthCheckResult.Healthy($"Model loaded on {embedder.ExecutionProvider}; gallery open.", data));
    }
}
