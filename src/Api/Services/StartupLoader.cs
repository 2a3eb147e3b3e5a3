using System.Diagnostics;
using Microsoft.Extensions.Options;
using SanReid.Api.Extensions;
using SanReid.Api.Options;
using SanReid.Imaging;
using SanReid.Index;
using SanReid.Inference;

namespace SanReid.Api.Services;

/// <summary>
/// Start-up in two parts. At once (start-up fails with the message): the model file must exist, and with
/// <c>ExecutionProvider=cuda</c> the CUDA provider must load. Then in the background, while the server already answers
/// liveness (and readiness with 503): load the ONNX session, the model card and the gallery (SQLite, FAISS rebuilt from
/// it), run the warm-up, and mark <see cref="StartupState"/> ready. A failure there is logged as critical and stops
/// the process with exit code 1.
/// </summary>
public sealed class StartupLoader(
    IServiceProvider services,
    StartupState state,
    ApiMetrics metrics,
    IOptions<ModelOptions> modelOptions,
    IOptions<StartupOptions> startupOptions,
    IHostEnvironment environment,
    IHostApplicationLifetime lifetime,
    ILogger<StartupLoader> logger) : IHostedService
{
    private Task _loading = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var model = modelOptions.Value;
        string path = ContentPaths.Resolve(model.Path, environment.ContentRootPath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Model file not found: {path}. Create the default one with scripts/ensure-model.sh or set SanReid:Model:Path.", path);
        }

        if (model.ExecutionProvider == "cuda" && OnnxEmbedder.ProbeCuda(model.CudaDeviceId) is { } error)
        {
            throw new InvalidOperationException(
                $"SanReid:Model:ExecutionProvider is 'cuda' but the CUDA provider could not load: {error} "
                + "Install the CUDA 13 and cuDNN 9 libraries ONNX Runtime 1.31 needs, or set SanReid:Model:ExecutionProvider to auto or cpu.");
        }

        var started = Stopwatch.StartNew();
        _loading = Task.Run(() => Load(started), CancellationToken.None);
        return Task.CompletedTask;
    }

    private void Load(Stopwatch started)
    {
        try
        {
            state.Enter("loading model");
            var embedder = services.GetRequiredService<OnnxEmbedder>();
            services.GetRequiredService<ModelCardFile>();
            state.Enter("opening gallery");
            var store = OpenGallery();
            metrics.Registry.AddBeforeCollectCallback(() => metrics.GallerySize.Set(store.Count));
            state.Enter("warming up");
            var blank = new RgbCrop(embedder.Height, embedder.Width, new byte[embedder.Height * embedder.Width * 3]);
            for (int i = 0; i < startupOptions.Value.WarmUpRuns; i++)
                embedder.Embed([blank]);
            services.GetRequiredService<EmbeddingBatcher>();
            state.SetReady(started.Elapsed.TotalSeconds);
            metrics.Ready.Set(1);
            logger.LogInformation("Ready in {Seconds:F1} s: provider {Provider}, gallery {Count} items",
                started.Elapsed.TotalSeconds, embedder.ExecutionProvider, store.Count);
        }
        catch (Exception e)
        {
            // Log first: Fail moves the stage to "failed".
            logger.LogCritical(e, "Start-up failed while {Stage}: {Reason}", state.Stage, e.Message);
            state.Fail(e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>The gallery; a shared (PostgreSQL) gallery that cannot be reached yet is tried again every 2 s, so
    /// replicas may start before their database (readiness says what it waits for meanwhile).</summary>
    private GalleryStore OpenGallery()
    {
        while (true)
        {
            try
            {
                return services.GetRequiredService<GalleryStore>();
            }
            catch (GalleryUnavailableException e) when (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                state.Enter("waiting for the gallery database");
                logger.LogWarning("Gallery database unreachable, retrying in 2 s: {Reason}", e.Message);
                lifetime.ApplicationStopping.WaitHandle.WaitOne(TimeSpan.FromSeconds(2));
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Let a load in progress finish before the container disposes what it is building.
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
