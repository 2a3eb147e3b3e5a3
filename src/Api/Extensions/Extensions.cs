using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Prometheus;
using SanReid.Api.Apis;
using SanReid.Api.Auth;
using SanReid.Api.Middleware;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Api.Services;
using SanReid.Imaging;
using SanReid.Index;
using SanReid.Inference;

namespace SanReid.Api.Extensions;

/// <summary>All service wiring of the Api (options, model, gallery, errors, Swagger, health).</summary>
public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Every options class is bound, validated at start-up, and reported with its full key (KeyedOptionsValidation).
        services.AddKeyedOptions<ModelOptions>(ModelOptions.Section);
        services.AddKeyedOptions<GalleryOptions>(GalleryOptions.Section);
        services.AddKeyedOptions<GalleryImageOptions>(GalleryImageOptions.Section);
        services.AddKeyedOptions<LimitsOptions>(LimitsOptions.Section);
        services.AddKeyedOptions<SearchOptions>(SearchOptions.Section);
        services.AddKeyedOptions<AuthOptions>(AuthOptions.Section)
            // ApiKeys and KeySha256 are arrays (":0", "__0"); a plain value would bind to nothing and leave writes locked
            // with the key the operator believes is set.
            .Validate<IConfiguration>(
                // (An empty JSON array binds as "", which is fine.)
                (_, configuration) => string.IsNullOrEmpty(configuration[$"{AuthOptions.Section}:ApiKeys"])
                                      && string.IsNullOrEmpty(configuration[$"{AuthOptions.Section}:KeySha256"]),
                $"{AuthOptions.Section}:ApiKeys and {AuthOptions.Section}:KeySha256 are lists: give entries as " +
                $"{AuthOptions.Section}:ApiKeys:0 or {AuthOptions.Section}:KeySha256:0 (environment: SanReid__Auth__ApiKeys__0).");
        services.AddKeyedOptions<RateLimitOptions>(RateLimitOptions.Section);
        services.AddKeyedOptions<CorsSettings>(CorsSettings.Section);
        services.AddKeyedOptions<BatchingOptions>(BatchingOptions.Section);
        services.AddKeyedOptions<StartupOptions>(StartupOptions.Section);
        services.AddKeyedOptions<RetentionOptions>(RetentionOptions.Section);
        services.AddKeyedOptions<ImportOptions>(ImportOptions.Section);

        // Body limits follow the validated options (resolved lazily, so configuration overrides in tests apply).
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((k, l) =>
        {
            k.Limits.MaxRequestBodySize = l.Value.MaxBodyBytes;
            k.AddServerHeader = false;
        });
        services.AddOptions<FormOptions>().Configure<IOptions<LimitsOptions>>((f, l) => ConfigureFormLimits(f, l.Value.MaxBodyBytes));
        // Binding failures (wrong content type, unreadable form) throw BadHttpRequestException, which the exception
        // handler turns into ProblemDetails with a code instead of an empty 4xx.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            return new OnnxEmbedder(
                ContentPaths.Resolve(options.Path, env.ContentRootPath),
                new OnnxEmbedderOptions
                {
                    ExecutionProvider = options.ExecutionProvider,
                    CudaDeviceId = options.CudaDeviceId,
                    IntraOpThreads = options.IntraOpThreads,
                    MaxBatchSize = options.MaxBatchSize,
                },
                sp.GetRequiredService<ILogger<OnnxEmbedder>>());
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            return new ModelCardFile(
                sp.GetRequiredService<OnnxEmbedder>().ModelPath,
                options.CardPath is null ? null : ContentPaths.Resolve(options.CardPath, env.ContentRootPath),
                sp.GetRequiredService<ILogger<ModelCardFile>>());
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GalleryOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            bool shared = options.Store == GalleryOptions.PostgreSql;
            var path = ContentPaths.Resolve(options.DatabasePath, env.ContentRootPath);
            if (!shared)
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var embedder = sp.GetRequiredService<OnnxEmbedder>();
            var store = GalleryStores.Open(shared ? options.ConnectionString : null, new GalleryStoreOptions
            {
                DatabasePath = path,
                Dimension = embedder.Dimension,
                IndexFactory = options.IndexFactory,
                // Trains and retrains in the background while the current index serves; a trained index is reloaded
                // from its file at start-up (a million-item gallery is ready in seconds, not after minutes of training).
                BackgroundIndexBuild = true,
                PersistIndex = options.PersistIndex,
                // Refuses a gallery filled by another model: scores across two models' embeddings mean nothing.
                // An int8 model comparable with its fp32 source shares that model's space (ModelFingerprint.EmbeddingSpace).
                EmbeddingModel = ModelFingerprint.EmbeddingSpace(embedder.ModelPath, embedder.Metadata),
            });
            var log = sp.GetRequiredService<ILogger<GalleryStore>>();
            var opened = store.OpenReport;
            log.LogInformation("Gallery {Path}: {Count} items, index {ActiveFactory} (configured {Factory}); opened in " +
                "{Scan:F1} s scan + {IndexSeconds:F1} s index ({IndexSource})",
                store.Options.DatabasePath, store.Count, store.ActiveIndexFactory, options.IndexFactory, opened.ScanSeconds,
                opened.IndexSeconds, opened.IndexSource);
            if (store.LastIndexError is not null)
            {
                log.LogWarning("Gallery {Path}: the configured index could not be built, searching exactly: {Error}", path, store.LastIndexError);
            }

            return store;
        });
        services.AddSingleton<CropDecode>(CropDecoder.DecodeAndResize);
        services.AddHttpContextAccessor(); // ImageUploads: the request's abort token stops its decoding
        services.AddSingleton<ImageUploads>();
        services.AddSingleton<EmbeddingBatcher>();
        services.AddSingleton<SearchReranker>();
        services.AddSingleton<ApiKeyStore>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(o => o.AddApiPolicies());
        services.AddSingleton<IAuthorizationHandler, ApiKeyAuthorizationHandler>();
        services.AddSingleton<ApiMetrics>();
        services.AddSingleton<StartupState>();
        services.AddHostedService<StartupLoader>();
        services.AddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(RateLimitPartitionFor);
            o.OnRejected = async (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await ProblemWriter.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                    "Too many requests", "Request rate over the limit for this API key (or client address); retry after the Retry-After seconds.");
            };
        });
        services.AddCors();
        services.AddSingleton<ICorsPolicyProvider, ConfiguredCorsPolicyProvider>();

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        // First, so it is chosen over the framework's writer, which refuses requests that do not accept JSON.
        services.AddSingleton<IProblemDetailsWriter, JsonProblemDetailsWriter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("code", ErrorCodes.ForStatus(status));
            context.ProblemDetails.Detail ??= FrameworkStatusDetail.For(status, context.HttpContext.Request);
            context.ProblemDetails.Extensions["request_id"] = context.HttpContext.TraceIdentifier;
            context.HttpContext.Items.TryAdd(ProblemWriter.CodeItem, context.ProblemDetails.Extensions["code"]);
        });
        services.AddExceptionHandler<ApiExceptionHandler>();

        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>("model_and_gallery", tags: [HealthApi.ReadyTag]);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "SanReid",
                Version = "v1",
                Description = "Person re-identification: embed person crops (SA-Enc, ONNX Runtime) and search a gallery (FAISS + SQLite).",
            });
            // Swagger UI's "Authorize" button sends the key on every call.
            o.AddSecurityDefinition("ApiKey", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = AuthOptions.HeaderName,
                Description = "API key; required for gallery POST / DELETE (and for reads when SanReid:Auth:RequireKeyForReads).",
            });
            o.OperationFilter<QueryRequestParameters>();
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
        });
    }

    /// <summary>
    /// The form limits of the service: body <paramref name="maxBodyBytes"/>, 1024 parts, 16 KiB of part headers, field
    /// names of 1024 characters, text values of 4 KiB. Public so the form reader's fuzz target runs with the same limits.
    /// </summary>
    public static void ConfigureFormLimits(FormOptions f, long maxBodyBytes)
    {
        f.MultipartBodyLengthLimit = maxBodyBytes;
        f.ValueCountLimit = 1024;
        f.MultipartHeadersLengthLimit = 16 * 1024;
        f.KeyLengthLimit = 1024;
        // Text fields are at most 256 characters; FormReading applies this to multipart text parts too.
        f.ValueLengthLimit = 4 * 1024;
    }

    // One token bucket per API key (valid keys only) or, without one, per client address; /api/v1 endpoints only.
    private static RateLimitPartition<string> RateLimitPartitionFor(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        if (!options.Enabled || !ApiEndpoint.Is(context))
            return RateLimitPartition.GetNoLimiter("unlimited");
        var keys = context.RequestServices.GetRequiredService<ApiKeyStore>();
        var presented = context.Request.Headers[AuthOptions.HeaderName];
        // A request with the header twice is refused by authentication; it is limited as an anonymous one.
        string partition = presented.Count == 1 && keys.TryMatch(presented[0], out var keyId)
            ? $"key:{keyId}"
            : $"ip:{context.Connection.RemoteIpAddress}";
        return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Burst,
            TokensPerPeriod = options.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>
    /// The request pipeline, outermost first: request id + error counters, unknown methods, HTTP metrics, error
    /// handling (exception handler, status-code pages, early body-size check), the search page's static files, CORS, rate limits, API-key
    /// authentication and the read / write policies, the readiness gate, the form reader, Swagger. Each step is a
    /// named class in Middleware/ (or the framework's).
    /// </summary>
    public static void UseApiPipeline(this WebApplication app, ApiMetrics metrics)
    {
        app.UseMiddleware<RequestTelemetryMiddleware>();
        app.UseMiddleware<KnownMethodsMiddleware>();
        app.UseHttpMetrics(o => o.SetMetricFactory(metrics.Factory));
        app.UseMiddleware<EndpointRestoreMiddleware.Restore>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<EndpointRestoreMiddleware.Capture>();
        app.UseMiddleware<BodySizeLimitMiddleware>();
        // The search page (wwwroot: index.html, app.css, app.js) at "/": static files, before CORS, rate limits and keys.
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = SearchPage.AddHeaders });
        app.UseCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<ReadinessGateMiddleware>();
        app.UseMiddleware<FormReadingMiddleware>();
        app.UseSwagger();
        app.UseSwaggerUI();
    }
}

/// <summary>CORS from <see cref="CorsSettings"/>: no policy (CORS off: no CORS headers, preflight 405) unless origins are configured.</summary>
internal sealed class ConfiguredCorsPolicyProvider(IOptions<CorsSettings> settings) : ICorsPolicyProvider
{
    private readonly CorsPolicy? _policy = settings.Value.AllowedOrigins.Length == 0
        ? null
        : new CorsPolicyBuilder()
            .WithOrigins(settings.Value.AllowedOrigins)
            .WithMethods("GET", "POST", "DELETE")
            .WithHeaders(AuthOptions.HeaderName, "Content-Type", "X-Request-Id")
            .WithExposedHeaders("Location", "X-Request-Id", "Retry-After")
            .Build();

    public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName) => Task.FromResult(_policy);
}
