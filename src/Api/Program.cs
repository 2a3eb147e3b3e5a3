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

app.Run();
return 0;

/// <summary>Entry point, public for WebApplicationFactory in tests.</summary>
public partial class Program;
