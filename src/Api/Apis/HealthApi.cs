using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SanReid.Api.Apis;

/// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (model and gallery loaded; names the execution provider).</summary>
public static class HealthApi
{
    public const string ReadyTag = "ready";

    /// <summary>Data key of a Degraded check that still serves traffic (a replica searching while its gallery database
    /// is unreachable): /health/ready then answers 200 with status Degraded instead of 503.</summary>
    public const string ServingKey = "serving";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJson })
            .WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadyTag),
            ResponseWriter = WriteJson,
            // Degraded = still loading: not ready for traffic (unless the check says it is serving: WriteJson).
            ResultStatusCodes =
                {
                    [HealthStatus.Healthy] = StatusCodes.Status200OK,
                    [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                    [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
                },
        })
            .WithTags("Health");
        return app;
    }

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        if (report.Status == HealthStatus.Degraded
            && report.Entries.Values.All(e => e.Status == HealthStatus.Healthy || e.Data.ContainsKey(ServingKey)))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
        }

        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e => new Dictionary<string, object?>
                {
                    ["status"] = e.Value.Status.ToString(),
                    ["description"] = e.Value.Description,
                    ["data"] = e.Value.Data,
                }),
        };
        foreach (var entry in report.Entries.Values)
        {
            foreach (var (key, value) in entry.Data)
                body.TryAdd(key, value);
        }
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
