using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using SanReid.Api.Apis;
using SanReid.Api.Model;
using SanReid.Api.Options;
using SanReid.Api.Services;
using SanReid.Imaging;
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
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations()
            // ApiKeys and KeySha256 are arrays (":0", "__0"); a plain value would bind to nothing and leave writes locked
            // with the key the operator believes is set.
            .Validate<IConfiguration>(
                // (An empty JSON array binds as "", which is fine.)
                (_, configuration) => string.IsNullOrEmpty(configuration[$"{AuthOptions.Section}:ApiKeys"])
                                      && string.IsNullOrEmpty(configuration[$"{AuthOptions.Section}:KeySha256"]),
                $"{AuthOptions.Section}:ApiKeys and {AuthOptions.Section}:KeySha256 are lists: give entries as " +
                $"{AuthOptions.Section}:ApiKeys:0 or {AuthOptions.Section}:KeySha256:0 (environment: SanReid__Auth__ApiKeys__0).")
            .ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CorsSettings>().BindConfiguration(CorsSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BatchingOptions>().BindConfiguration(BatchingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StartupOptions>().BindConfiguration(StartupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.Section).ValidateDataAnnotations().ValidateOnStart();

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
            var embedder = sp.GetRequiredService<OnnxEmbedder>();
            var store = GalleryStore.Open(new GalleryStoreOptions
            {
                DatabasePath = path,
                Dimension = embedder.Dimension,
                IndexFactory = options.IndexFactory,
                // Trains and retrains in the background while the current index serves; a trained index is reloaded
                // from its file at start-up (a million-item gallery is ready in seconds, not after minutes of training).
                BackgroundIndexBuild = true,
                PersistIndex = options.PersistIndex,
                // Refuses a gallery filled by another model: scores across two models' embeddings mean nothing.
                EmbeddingModel = ModelFingerprint.Compute(embedder.ModelPath),
            });
            var log = sp.GetRequiredService<ILogger<GalleryStore>>();
            var opened = store.OpenReport;
            log.LogInformation("Gallery {Path}: {Count} items, index {ActiveFactory} (configured {Factory}); opened in " +
                "{Scan:F1} s scan + {IndexSeconds:F1} s index ({IndexSource})",
                path, store.Count, store.ActiveIndexFactory, options.IndexFactory, opened.ScanSeconds, opened.IndexSeconds, opened.IndexSource);
            if (store.LastIndexError is not null)
            {
                log.LogWarning("Gallery {Path}: the configured index could not be built, searching exactly: {Error}", path, store.LastIndexError);
            }

            return store;
        });
        services.AddSingleton<CropDecode>(CropDecoder.DecodeAndResize);
        services.AddSingleton<ImageUploads>();
        services.AddSingleton<EmbeddingBatcher>();
        services.AddSingleton<ApiKeyStore>();
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
        if (!options.Enabled || context.GetEndpoint()?.Metadata.GetMetadata<ApiAccess>() is null)
            return RateLimitPartition.GetNoLimiter("unlimited");
        var keys = context.RequestServices.GetRequiredService<ApiKeyStore>();
        string partition = keys.TryMatch(context.Request.Headers[AuthOptions.HeaderName].FirstOrDefault(), out var keyId)
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
    /// Outermost: a request id (the client's <c>X-Request-Id</c> when it is 1-64 characters of [A-Za-z0-9._-], else the
    /// server's trace identifier) echoed in the response, in a logging scope and in every ProblemDetails; and the
    /// rejected-requests (4xx) and server-errors (5xx) counters by error code.
    /// </summary>
    public static void UseRequestTelemetry(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ApiMetrics>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SanReid.Api.Requests");
        app.Use(async (context, next) =>
        {
            string? incoming = context.Request.Headers["X-Request-Id"].FirstOrDefault();
            if (incoming is { Length: > 0 and <= 64 } && incoming.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                context.TraceIdentifier = incoming;
            // At send time: the exception handler clears headers set earlier.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
                return Task.CompletedTask;
            });
            using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = context.TraceIdentifier });
            try
            {
                await next(context);
            }
            finally
            {
                int status = context.Response.StatusCode;
                if (status >= 400)
                {
                    string code = context.Items[ProblemWriter.CodeItem] as string ?? ErrorCodes.ForStatus(status);
                    (status < 500 ? metrics.Rejected : metrics.ServerErrors).WithLabels(code).Inc();
                }
            }
        });
    }

    /// <summary>The HTTP methods the service knows; any other gets 405 before routing and the HTTP metrics.</summary>
    public static readonly IReadOnlySet<string> KnownMethods = new HashSet<string>(
        [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete, HttpMethods.Options],
        StringComparer.Ordinal);

    /// <summary>
    /// A request with a made-up method (<c>X123</c>) gets 405 <c>method_not_allowed</c> here, before the HTTP metrics,
    /// whose <c>method</c> label would otherwise add series for every method a client invents (unbounded /metrics).
    /// Methods are case-sensitive (RFC 9110 9.1), so <c>get</c> is unknown too.
    /// </summary>
    public static void UseKnownMethodsOnly(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (!KnownMethods.Contains(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD, POST, DELETE";
            await ProblemWriter.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed,
                "Method not allowed", "Unknown HTTP method; this service answers GET, HEAD, POST and DELETE.");
            return;
        }
        await next(context);
    });

    /// <summary>
    /// <c>/api/v1</c> endpoints answer 503 <c>not_ready</c> (Retry-After: 1) until the model and gallery are loaded.
    /// </summary>
    public static void UseReadinessGate(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<StartupState>();
        app.Use(async (context, next) =>
        {
            if (!state.IsReady && context.GetEndpoint()?.Metadata.GetMetadata<ApiAccess>() is not null)
            {
                context.Response.Headers.RetryAfter = "1";
                await ProblemWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.NotReady, "Not ready",
                    state.Failure is null ? $"The service is starting ({state.Stage}); see /health/ready." : state.PublicFailure);
                return;
            }
            await next(context);
        });
    }

    private const string EndpointItem = "sanreid.endpoint";

    /// <summary>Exception handler, status-code pages (404/405 as ProblemDetails) and the early body-size check.</summary>
    public static void UseApiErrorHandling(this WebApplication app)
    {
        // The exception handler clears the endpoint before it writes the problem; put it back afterwards, so the HTTP
        // metrics label a rejected request with its route rather than with no endpoint.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                if (context.GetEndpoint() is null && context.Items[EndpointItem] is Endpoint endpoint)
                    context.SetEndpoint(endpoint);
            }
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use((context, next) =>
        {
            context.Items[EndpointItem] = context.GetEndpoint();
            return next(context);
        });
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
