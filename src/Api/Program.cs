using System.Globalization;
using Prometheus;
using SanReid.Api.Apis;
using SanReid.Api.Auth;
using SanReid.Api.Extensions;
using SanReid.Api.Options;
using SanReid.Api.Services;

// Globalization is on for Unicode normalisation only (Api.csproj): numbers and dates format the same on every machine.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
ClientText.EnsureNormalizationWorks();

var builder = WebApplication.CreateBuilder(args);
builder.AddApplicationServices();

var app = builder.Build();
// Bad settings end the process here with one line per setting and exit code 2 (not an unhandled exception). A host
// that tests start in their own process (WebApplicationFactory) gets the exception from start-up instead.
if (StartupOptionsCheck.IsOwnProcess && !StartupOptionsCheck.Passes(app.Services, Console.Error))
    return StartupOptionsCheck.ExitCode;
var metrics = app.Services.GetRequiredService<ApiMetrics>();
app.UseApiPipeline(metrics);

// Request records (IValidatable) are parsed and checked by one filter before any handler runs.
var v1 = app.MapGroup("/api/v1").DisableAntiforgery().WithMetadata(ApiEndpoint.Marker).RequireAuthorization(ApiPolicies.Read)
    .AddEndpointFilter<ValidationFilter>();
v1.MapEmbeddingsApi();
v1.MapGalleryApi();
v1.MapGalleryImageApi();
v1.MapGalleryBulkApi();
v1.MapSearchApi();
v1.MapModelApi();
app.MapHealthApi();
app.MapMetrics("/metrics", metrics.Registry);

// Other start-up failures (a missing model file, a gallery of another model, an unreachable database at open) end
// the process with one line naming the cause and exit code 1, after the host's own critical log line, rather than
// an unhandled-exception dump. Failures after start-up are the host's to log; in-process test hosts get the exception.
bool started = false;
app.Lifetime.ApplicationStarted.Register(() => started = true);
try
{
    app.Run();
}
catch (Exception e) when (StartupOptionsCheck.IsOwnProcess && !started)
{
    Console.Error.WriteLine($"SanReid.Api: start-up failed: {e.GetBaseException().Message}");
    return 1;
}

return 0;

/// <summary>Entry point, public for WebApplicationFactory in tests.</summary>
public partial class Program;
