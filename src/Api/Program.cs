using SanReid.Api.Apis;
using SanReid.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddApplicationServices();

var app = builder.Build();
app.UseApiErrorHandling();
app.UseSwagger();
app.UseSwaggerUI();

var v1 = app.MapGroup("/api/v1").DisableAntiforgery();
v1.MapEmbeddingsApi();
v1.MapGalleryApi();
v1.MapSearchApi();
v1.MapModelApi();
app.MapHealthApi();

app.Run();

/// <summary>Entry point, public for WebApplicationFactory in tests.</summary>
public partial class Program;
