using Microsoft.Extensions.Diagnostics.HealthChecks;
using SanReid.Index;

namespace SanReid.Api.Services;

/// <summary>Ready when the model session and the gallery are open; reports the execution provider and gallery size.</summary>
public sealed class ReadinessHealthCheck(OnnxEmbedder embedder, GalleryStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["execution_provider"] = embedder.ExecutionProvider,
            ["model"] = Path.GetFileName(embedder.ModelPath),
            ["dimension"] = embedder.Dimension,
            ["gallery_items"] = store.Count,
        };
        if (embedder.ProviderNote is not null)
            data["provider_note"] = embedder.ProviderNote;
        return Task.FromResult(HealthCheckResult.Healthy($"Model loaded on {embedder.ExecutionProvider}; gallery open.", data));
    }
}
