using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using SanReid.Api.Apis;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Api.Services;
using SanReid.Index;

namespace SanReid.Api.Extensions;

/// <summary>All service wiring of the Api (options, model, gallery, errors, Swagger, health).</summary>
public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GalleryOptions>().BindConfiguration(GalleryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Body limits follow the validated options (resolved lazily, so configuration overrides in tests apply).
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((k, l) => k.Limits.MaxRequestBodySize = l.Value.MaxBodyBytes);
        services.AddOptions<FormOptions>().Configure<IOptions<LimitsOptions>>((f, l) =>
        {
            f.MultipartBodyLengthLimit = l.Value.MaxBodyBytes;
            f.ValueCountLimit = 1024;
        });
        // Binding failures (wrong content type, unreadable form) throw BadHttpRequestException, which the exception
        // handler turns into ProblemDetails with a code instead of an empty 4xx.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            return new OnnxEmbedder(
                ContentPaths.Resolve(options.Path, env.ContentRootPath), options.ExecutionProvider, options.CudaDeviceId,
                options.IntraOpThreads, options.MaxBatchSize, sp.GetRequiredService<ILogger<OnnxEmbedder>>());
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            return new ModelCard(
                sp.GetRequiredService<OnnxEmbedder>().ModelPath,
                options.CardPath is null ? null : ContentPaths.Resolve(options.CardPath, env.ContentRootPath),
                sp.GetRequiredService<ILogger<ModelCard>>());
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GalleryOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            var path = ContentPaths.Resolve(options.DatabasePath, env.ContentRootPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var store = GalleryStore.Open(new GalleryStoreOptions
            {
                DatabasePath = path,
                Dimension = sp.GetRequiredService<OnnxEmbedder>().Dimension,
                IndexFactory = options.IndexFactory,
            });
            sp.GetRequiredService<ILogger<GalleryStore>>().LogInformation(
                "Gallery {Path} ({Factory}): {Count} items", path, options.IndexFactory, store.Count);
            return store;
        });
        services.AddSingleton<ImageUploads>();
        services.AddHostedService<StartupLoader>();

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("code", ErrorCodes.ForStatus(status));
        });
        services.AddExceptionHandler<ApiExceptionHandler>();

        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>("model_and_gallery", tags: [HealthApi.ReadyTag]);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o => o.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "SanReid",
            Version = "v1",
            Description = "Person re-identification: embed person crops (SA-Enc, ONNX Runtime) and search a gallery (FAISS + SQLite).",
        }));
    }

    /// <summary>Exception handler, status-code pages (404/405 as ProblemDetails) and the early body-size check.</summary>
    public static void UseApiErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            // Refuse a declared oversize body before reading it (Kestrel enforces the same limit on chunked bodies).
            var limit = context.RequestServices.GetRequiredService<IOptions<LimitsOptions>>().Value.MaxBodyBytes;
            if (context.Request.ContentLength > limit)
                throw new Microsoft.AspNetCore.Http.BadHttpRequestException(
                    $"Request body of {context.Request.ContentLength:N0} bytes is over the limit of {limit:N0} bytes.",
                    StatusCodes.Status413PayloadTooLarge);
            await next(context);
        });
    }
}
