using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SanReid.Api.Extensions;
using SanReid.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

// What keeping crops costs (issue 13): two real servers (Kestrel on 127.0.0.1, SQLite galleries in a temp folder), one
// with SanReid:Gallery:Images on (default 256 x 256 box, quality 85) and one with it off, fed the same crops with their
// requests interleaved (so load on the machine hits both alike). Prints gallery-file bytes per item, the stored JPEG's
// bytes, add and search latency (p50 / p95, one request at a time) and the in-process cost of the preview alone.
// Usage: dotnet run --project bench/CropBench -c Release -- [--items N] [--searches M] [--model PATH] [--provider auto|cpu|cuda]

namespace SanReid.CropBench;

internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        var opts = ParseArgs(args);
        int items = int.Parse(opts.GetValueOrDefault("items", "300"));
        int searches = int.Parse(opts.GetValueOrDefault("searches", "100"));
        string provider = opts.GetValueOrDefault("provider", "cpu");
        string root = ContentPaths.FindRepoRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();
        string model = ContentPaths.Resolve(opts.GetValueOrDefault("model", "models/sanreid-resnet18-imagenet.onnx"), root);
        Console.WriteLine($"command: dotnet run --project bench/CropBench -c Release -- --items {items} --searches {searches} "
            + $"--provider {provider} --model {Path.GetRelativePath(root, model)}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {CpuModel()}, load average {LoadAverage()}");
        var (crops, source) = LoadImages(root);
        Console.WriteLine($"crops: {crops.Count} from {source}, mean {crops.Average(c => c.Length):F0} bytes uploaded");
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SANREID_API", Path.Combine(root, "src", "Api"));

        string dir = Path.Combine(Path.GetTempPath(), $"sanreid-cropbench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            PreviewCost(crops);
            var on = new Side("images on", BenchFactory.Start(model, provider, Path.Combine(dir, "on.db"), images: true));
            var off = new Side("images off", BenchFactory.Start(model, provider, Path.Combine(dir, "off.db"), images: false));
            Side[] sides = [on, off];
            foreach (var side in sides)
                await side.WaitUntilReady();

            // Warm-up (JIT, ONNX Runtime's first runs, SQLite pages): not measured.
            for (int i = 0; i < 5; i++)
            {
                foreach (var side in sides)
                {
                    await side.Search(crops[i % crops.Count]);
                }
            }

            for (int i = 0; i < items; i++)
            {
                // Alternate which side goes first, so neither always follows the other's cache effects.
                foreach (var side in i % 2 == 0 ? sides : sides.Reverse())
                    side.AddLatencies.Add(await side.Add(crops[i % crops.Count], i));
            }

            for (int i = 0; i < searches; i++)
            {
                foreach (var side in i % 2 == 0 ? sides : sides.Reverse())
                    side.SearchLatencies.Add(await side.Search(crops[(i * 7) % crops.Count]));
            }

            long jpegBytes = await on.StoredImageBytes(items);
            foreach (var side in sides)
            {
                side.Dispose(); // closes SQLite: the WAL is checkpointed into the file
            }

            Console.WriteLine();
            Console.WriteLine($"{items} items added (one crop per POST /gallery), {searches} searches (k 10), one request at a time:");
            Console.WriteLine($"{"",-11} | {"file bytes/item",15} | {"add p50 ms",10} | {"add p95 ms",10} | {"search p50 ms",13} | {"search p95 ms",13}");
            foreach (var side in sides)
            {
                long file = new FileInfo(side.Factory.Database).Length + WalLength(side.Factory.Database);
                Console.WriteLine($"{side.Name,-11} | {file / (double)items,15:F0} | {Percentile(side.AddLatencies, 50),10:F1} | {Percentile(side.AddLatencies, 95),10:F1} | "
                    + $"{Percentile(side.SearchLatencies, 50),13:F1} | {Percentile(side.SearchLatencies, 95),13:F1}");
            }

            long onFile = new FileInfo(on.Factory.Database).Length + WalLength(on.Factory.Database);
            long offFile = new FileInfo(off.Factory.Database).Length + WalLength(off.Factory.Database);
            Console.WriteLine($"stored JPEG (GET /gallery/{{id}}/image): mean {jpegBytes / (double)items:F0} bytes; gallery file grows by "
                + $"{(onFile - offFile) / (double)items:F0} bytes per item with images on ({onFile / (double)offFile:F2}x the file without)");
            Console.WriteLine($"add p50 on / off: {Percentile(on.AddLatencies, 50) / Percentile(off.AddLatencies, 50):F2}; "
                + $"search p50 on / off: {Percentile(on.SearchLatencies, 50) / Percentile(off.SearchLatencies, 50):F2} (load average now {LoadAverage()})");
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The preview's CPU cost alone: decode + orient + resize to 256x128, with and without the preview JPEG.</summary>
    private static void PreviewCost(IReadOnlyList<byte[]> crops)
    {
        var plain = new CropDecoderOptions();
        var withPreview = new CropDecoderOptions { Preview = new CropPreviewOptions() };
        double Run(CropDecoderOptions options)
        {
            const int n = 600;
            for (int i = 0; i < 30; i++)
                CropDecoder.DecodeAndResize(new MemoryStream(crops[i % crops.Count]), options);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
                CropDecoder.DecodeAndResize(new MemoryStream(crops[i % crops.Count]), options);
            return clock.Elapsed.TotalMilliseconds / n;
        }

        // Interleaved twice, the lower of each kept (less noise from a shared machine).
        double a1 = Run(plain), b1 = Run(withPreview), a2 = Run(plain), b2 = Run(withPreview);
        double a = Math.Min(a1, a2), b = Math.Min(b1, b2);
        Console.WriteLine($"in-process decode + resize per crop: {a:F3} ms without preview, {b:F3} ms with it (+{b - a:F3} ms)");
    }

    private static long WalLength(string database) => File.Exists(database + "-wal") ? new FileInfo(database + "-wal").Length : 0;

    private static double Percentile(List<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    private static string CpuModel() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "cpu n/a"
        : "cpu n/a";

    private static (IReadOnlyList<byte[]> Crops, string Source) LoadImages(string root)
    {
        var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "market-mini", "bounding_box_test"));
        if (Directory.Exists(dir) && Directory.GetFiles(dir, "*.jpg").Order().ToList() is { Count: > 0 } files)
            return (files.Select(File.ReadAllBytes).ToList(), dir);
        // Smooth gradients with a little noise: compress like photographs rather than like pure noise.
        var random = new Random(1);
        var generated = new List<byte[]>();
        for (int n = 0; n < 16; n++)
        {
            using var image = new Image<Rgb24>(64, 128);
            for (int y = 0; y < 128; y++)
            {
                for (int x = 0; x < 64; x++)
                    image[x, y] = new Rgb24((byte)(n * 13 + random.Next(24)), (byte)(y * 2), (byte)(x * 4));
            }

            using var stream = new MemoryStream();
            image.Save(stream, new JpegEncoder { Quality = 90 });
            generated.Add(stream.ToArray());
        }
        return (generated, "generated 64x128 JPEGs (../shared absent)");
    }

    private static Dictionary<string, string> ParseArgs(string[] args)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected --name value pairs; got '{args[i]}'. Options: --items, --searches, --model, --provider.");
            result[args[i][2..]] = args[i + 1];
        }
        return result;
    }
}

/// <summary>One server of the comparison and what was measured on it.</summary>
internal sealed class Side(string name, BenchFactory factory) : IDisposable
{
    private readonly HttpClient _client = factory.CreateClient();
    private readonly List<long> _ids = [];

    public string Name { get; } = name;
    public BenchFactory Factory { get; } = factory;
    public List<double> AddLatencies { get; } = [];
    public List<double> SearchLatencies { get; } = [];

    public async Task WaitUntilReady()
    {
        var clock = Stopwatch.StartNew();
        while (!(await _client.GetAsync("/health/ready")).IsSuccessStatusCode)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
                throw new TimeoutException($"{Name}: server not ready after 3 minutes");
            await Task.Delay(100);
        }
    }

    /// <summary>POST /gallery with one crop; milliseconds to the full response.</summary>
    public async Task<double> Add(byte[] crop, int i)
    {
        using var form = Form("images", crop);
        form.Add(new StringContent((1 + i % 6).ToString()), "camera_id");
        var clock = Stopwatch.StartNew();
        using var response = await _client.PostAsync("/api/v1/gallery", form);
        string body = await response.Content.ReadAsStringAsync();
        double ms = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{Name}: add answered {(int)response.StatusCode}: {body}");
        using var json = System.Text.Json.JsonDocument.Parse(body);
        _ids.Add(json.RootElement.GetProperty("items")[0].GetProperty("id").GetInt64());
        return ms;
    }

    /// <summary>POST /search (k 10) with one crop; milliseconds to the full response.</summary>
    public async Task<double> Search(byte[] crop)
    {
        using var form = Form("image", crop);
        form.Add(new StringContent("10"), "k");
        var clock = Stopwatch.StartNew();
        using var response = await _client.PostAsync("/api/v1/search", form);
        await response.Content.ReadAsByteArrayAsync();
        double ms = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{Name}: search answered {(int)response.StatusCode}");
        return ms;
    }

    /// <summary>Sum of the stored JPEGs' sizes (GET /gallery/{id}/image) of the first <paramref name="count"/> items.</summary>
    public async Task<long> StoredImageBytes(int count)
    {
        long total = 0;
        foreach (long id in _ids.Take(count))
            total += (await _client.GetByteArrayAsync($"/api/v1/gallery/{id}/image")).Length;
        return total;
    }

    private static MultipartFormDataContent Form(string field, byte[] crop)
    {
        var content = new ByteArrayContent(crop);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { content, field, "crop.jpg" } };
    }

    public void Dispose()
    {
        _client.Dispose();
        Factory.Dispose();
    }
}

/// <summary>The real Api (Program) with the bench's model, provider, a temp gallery and images on or off; quiet logs.</summary>
internal sealed class BenchFactory(string model, string provider, string database, bool images) : WebApplicationFactory<Program>
{
    public string Database => database;

    /// <summary>A factory whose server listens on a real socket (Kestrel), started by its first client.</summary>
    public static BenchFactory Start(string model, string provider, string database, bool images)
    {
        var factory = new BenchFactory(model, provider, database, images);
        factory.UseKestrel();
        return factory;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
        builder.UseSetting("SanReid:Model:Path", model);
        builder.UseSetting("SanReid:RateLimit:Enabled", "false");
        builder.UseSetting("SanReid:Model:ExecutionProvider", provider);
        builder.UseSetting("SanReid:Gallery:DatabasePath", database);
        builder.UseSetting("SanReid:Gallery:IndexFactory", "Flat");
        builder.UseSetting("SanReid:Gallery:PersistIndex", "false");
        builder.UseSetting("SanReid:Gallery:Images:Enabled", images ? "true" : "false");
        builder.UseSetting("SanReid:Auth:AllowAnonymousWrites", "true");
        builder.UseSetting("SanReid:Startup:WarmUpRuns", "1");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
        // The readiness polls log "Degraded" while the model loads; not news here.
        builder.UseSetting("Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks", "Error");
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.Timeout = TimeSpan.FromMinutes(2);
    }
}
