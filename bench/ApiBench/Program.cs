using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using SanReid.Api.Extensions;
using SanReid.Api.Services;
using SanReid.Imaging;
using SanReid.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

// Embeddings/s through POST /api/v1/embeddings on a real Kestrel (127.0.0.1) versus the same ONNX model called
// in-process (CropDecoder + OnnxEmbedder, the work the endpoint does minus HTTP, multipart and JSON).
// Usage: dotnet run --project bench/ApiBench -c Release -- [--images N] [--clients C] [--model PATH]... [--provider auto|cpu|cuda]
// Several --model: each is served in turn and the summary compares their embeddings/s over HTTP (e.g. fp32 vs int8).

namespace SanReid.ApiBench;

/// <summary>Entry point of the Api benchmark (a class, not top-level code: the Api's own Program is referenced).</summary>
internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        var opts = ParseArgs(args);
        int total = int.Parse(opts.GetValueOrDefault("images", ["64"])[^1]);
        int clients = int.Parse(opts.GetValueOrDefault("clients", ["4"])[^1]);
        string provider = opts.GetValueOrDefault("provider", ["auto"])[^1];
        string root = ContentPaths.FindRepoRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();
        // --model may be repeated: each model gets its own server in turn, the same crops and clients, and the
        // summary compares them (e.g. an fp32 model and its int8 twin, docs/quantization.md).
        var models = opts.GetValueOrDefault("model", ["models/sanreid-resnet18-imagenet.onnx"]).Select(m => ContentPaths.Resolve(m, root)).ToList();

        Console.WriteLine($"command: dotnet run --project bench/ApiBench -c Release -- --images {total} --clients {clients} --provider {provider} "
            + string.Join(" ", models.Select(m => $"--model {Path.GetRelativePath(root, m)}")));
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, "
            + $"load average {LoadAverage()}");

        var (crops, source) = LoadImages(root);
        Console.WriteLine($"images: {crops.Count} distinct crops from {source}; {total} embeddings per measurement, {clients} concurrent clients");
        // The Api's content root (its appsettings.json): WebApplicationFactory reads it from this variable.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SANREID_API", Path.Combine(root, "src", "Api"));

        var all = new List<(string Model, string Path, int Batch, double PerSecond)>();
        foreach (var model in models)
        {
            foreach (var (path, batch, perSecond) in await BenchModel(model, provider, crops, total, clients))
                all.Add((model, path, batch, perSecond));
        }

        if (models.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine($"POST /embeddings, embeddings/s (load average now {LoadAverage()}):");
            Console.WriteLine($"{"model",-40} | {"batch 1",8} | {"batch 8",8} | {"vs first, batch 1",17} | {"vs first, batch 8",17}");
            double Http(string m, int b) => all.Single(r => r.Model == m && r.Path == "http" && r.Batch == b).PerSecond;
            foreach (var model in models)
            {
                Console.WriteLine($"{Path.GetFileName(model),-40} | {Http(model, 1),8:F1} | {Http(model, 8),8:F1} | "
                    + $"{Http(model, 1) / Http(models[0], 1),17:F2} | {Http(model, 8) / Http(models[0], 8),17:F2}");
            }
            foreach (var model in models.Skip(1))
            {
                Console.WriteLine($"{Path.GetFileName(model)} / {Path.GetFileName(models[0])} POST /embeddings embeddings/s ratio at batch 8: "
                    + $"{Http(model, 8) / Http(models[0], 8):F2}");
            }
        }
        return 0;
    }

    // One model: a real server on Kestrel and the same model in-process, batch 1 and 8.
    private static async Task<List<(string Path, int Batch, double PerSecond)>> BenchModel(
        string model, string provider, IReadOnlyList<byte[]> crops, int total, int clients)
    {
        var tmp = Directory.CreateTempSubdirectory("sanreid-apibench-");
        var results = new List<(string Path, int Batch, double PerSecond)>();
        try
        {
            using var embedder = new OnnxEmbedder(model, new OnnxEmbedderOptions { ExecutionProvider = provider, MaxBatchSize = 32 }, NullLogger.Instance);
            Console.WriteLine();
            Console.WriteLine($"model: {Path.GetFileName(model)} (precision {embedder.Metadata.GetValueOrDefault("precision", "fp32")}), "
                + $"input {embedder.Height}x{embedder.Width}, D={embedder.Dimension}, provider {embedder.ExecutionProvider}");
            var decoderOptions = embedder.DecoderOptions(40_000_000, 16 << 20);
            await using var factory = new BenchFactory(model, provider, Path.Combine(tmp.FullName, "gallery.db"));
            factory.UseKestrel();
            factory.StartServer();
            using var http = factory.CreateClient();
            http.Timeout = TimeSpan.FromMinutes(5);
            // The model and gallery load in the background after start-up: wait for /health/ready.
            while (!(await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                await Task.Delay(100);
            Console.WriteLine($"server: {http.BaseAddress}");

            foreach (int batch in new[] { 1, 8 })
            {
                // Warm-up (first Run allocates ONNX Runtime's arenas) — not timed.
                await RunClients(1, batch, batch, (b, s) => PostEmbeddings(http, crops, b, s));
                RunInProcess(embedder, crops, decoderOptions, batch, 0);
                double viaHttp = await Measure(() => RunClients(clients, total, batch, (b, s) => PostEmbeddings(http, crops, b, s)), total);
                double inProc = await Measure(() => RunClients(clients, total, batch, (b, s) =>
                {
                    RunInProcess(embedder, crops, decoderOptions, b, s);
                    return Task.CompletedTask;
                }), total);
                results.Add(("http", batch, viaHttp));
                results.Add(("in-process", batch, inProc));
            }

            Console.WriteLine($"{"batch",5} | {"POST /embeddings (img/s)",24} | {"in-process (img/s)",18} | {"http / in-process",17}");
            Console.WriteLine(new string('-', 74));
            foreach (int batch in new[] { 1, 8 })
            {
                double h = results.Single(r => r.Path == "http" && r.Batch == batch).PerSecond;
                double p = results.Single(r => r.Path == "in-process" && r.Batch == batch).PerSecond;
                Console.WriteLine($"{batch,5} | {h,24:F1} | {p,18:F1} | {h / p,17:F2}");
            }
            Console.WriteLine($"(each row: {total} embeddings, {clients} concurrent clients; in-process = CropDecoder + OnnxEmbedder.Embed)");
        }
        finally
        {
            try { tmp.Delete(recursive: true); } catch (IOException) { }
        }
        return results;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    private static async Task<double> Measure(Func<Task> run, int count)
    {
        var sw = Stopwatch.StartNew();
        await run();
        return count / sw.Elapsed.TotalSeconds;
    }

    // C clients take batches from a shared counter until `count` images are done.
    private static async Task RunClients(int clients, int count, int batch, Func<int, int, Task> send)
    {
        int next = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                int start = Interlocked.Add(ref next, batch) - batch;
                if (start >= count) return;
                await send(Math.Min(batch, count - start), start);
            }
        })));
    }

    private static async Task PostEmbeddings(HttpClient http, IReadOnlyList<byte[]> crops, int batch, int start)
    {
        using var form = new MultipartFormDataContent();
        for (int i = 0; i < batch; i++)
        {
            var content = new ByteArrayContent(crops[(start + i) % crops.Count]);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, "images", $"{start + i}.jpg");
        }
        using var response = await http.PostAsync("/api/v1/embeddings", form);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /embeddings: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await response.Content.ReadAsByteArrayAsync();
    }

    private static void RunInProcess(OnnxEmbedder embedder, IReadOnlyList<byte[]> crops, CropDecoderOptions options, int batch, int start)
    {
        var decoded = new List<RgbCrop>(batch);
        for (int i = 0; i < batch; i++)
            decoded.Add(CropDecoder.DecodeAndResize(new MemoryStream(crops[(start + i) % crops.Count]), options));
        embedder.Embed(decoded);
    }

    private static (IReadOnlyList<byte[]> Crops, string Source) LoadImages(string root)
    {
        var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "market-mini", "bounding_box_test"));
        if (Directory.Exists(dir))
        {
            var files = Directory.GetFiles(dir, "*.jpg").Order().ToList();
            if (files.Count > 0)
                return (files.Select(File.ReadAllBytes).ToList(), dir);
        }
        var random = new Random(1);
        var generated = new List<byte[]>();
        for (int n = 0; n < 16; n++)
        {
            using var image = new Image<Rgb24>(64, 128);
            for (int y = 0; y < 128; y++)
            {
                for (int x = 0; x < 64; x++)
                    image[x, y] = new Rgb24((byte)random.Next(256), (byte)(y * 2), (byte)(x * 4));
            }

            using var stream = new MemoryStream();
            image.Save(stream, new JpegEncoder { Quality = 90 });
            generated.Add(stream.ToArray());
        }
        return (generated, "generated 64x128 JPEGs (../shared absent)");
    }

    private static Dictionary<string, List<string>> ParseArgs(string[] args)
    {
        var result = new Dictionary<string, List<string>>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected --name value pairs; got '{args[i]}'. Options: --images, --clients, --model (repeatable), --provider.");
            string name = args[i][2..];
            if (!result.TryGetValue(name, out var values))
                result[name] = values = [];
            values.Add(args[++i]);
        }
        return result;
    }
}

/// <summary>The real Api (Program) with the bench's model, provider and a temp gallery; quiet logs.</summary>
internal sealed class BenchFactory(string model, string provider, string database) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
        builder.UseSetting("SanReid:Model:Path", model);
        builder.UseSetting("SanReid:RateLimit:Enabled", "false");
        builder.UseSetting("SanReid:Model:ExecutionProvider", provider);
        builder.UseSetting("SanReid:Gallery:DatabasePath", database);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
    }
}
