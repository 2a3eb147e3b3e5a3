using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using SanReid.LoadBench;

// Loopback-only benchmarks of the Api as a child process (dotnet src/Api/bin/<Configuration>/net10.0/SanReid.Api.dll).
//   load     (default): --seconds 60 --connections 32; mixed add 20% / search 60% / get 20%; counts 5xx, samples the
//            server's RSS every second, prints p50/p99 per operation.
//   batching: --seconds-per-level 8; search throughput and p50/p99 at 1, 4, 16, 32 concurrent clients with
//            SanReid:Batching:Enabled true vs false, and their ratio.
// Usage: dotnet run --project bench/LoadBench -c Release -- [--mode load|batching] [--seconds N] [--connections C] [--seconds-per-level S]
//        [--batched-settings "--Key=Value ..."]
var opts = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2)
    opts[args[i].TrimStart('-')] = args[i + 1];
string mode = opts.GetValueOrDefault("mode", "load");
string root = FindRoot();
string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
var images = LoadImages(root);
Console.WriteLine($"command: dotnet run --project bench/LoadBench -c {configuration} -- {string.Join(' ', args)}");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, load average {File.ReadAllText("/proc/loadavg").Trim()}; images: {images.Count} crops");

if (mode == "batching")
    return await Batching(int.Parse(opts.GetValueOrDefault("seconds-per-level", "8")));
return await Load(int.Parse(opts.GetValueOrDefault("seconds", "60")), int.Parse(opts.GetValueOrDefault("connections", "32")));

async Task<int> Load(int seconds, int connections)
{
    using var api = new ChildApi(root, configuration, []);
    await api.WaitReady();
    // Seed the gallery so searches and gets have something to find.
    var ids = new ConcurrentBag<long>();
    for (int i = 0; i < 20; i++)
        ids.Add(await Add(api.Http, images[i % images.Count], $"seed-{i}"));
    Console.WriteLine($"server pid on 127.0.0.1:{api.Port}, ready; RSS {api.RssMiB():F0} MiB; {seconds} s, {connections} connections, mix add 20% / search 60% / get 20%");

    var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
    var statuses = new ConcurrentDictionary<int, int>();
    var rss = new List<(double T, double MiB)>();
    var clock = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    var sampler = Task.Run(async () =>
    {
        while (clock.Elapsed < end)
        {
            rss.Add((clock.Elapsed.TotalSeconds, api.RssMiB()));
            await Task.Delay(1000);
        }
    });
    int counter = 0;
    var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
    {
        var random = new Random(w);
        while (clock.Elapsed < end)
        {
            int n = Interlocked.Increment(ref counter);
            double roll = random.NextDouble();
            string op = roll < 0.2 ? "add" : roll < 0.8 ? "search" : "get";
            var t = Stopwatch.StartNew();
            HttpResponseMessage response;
            try
            {
                response = op switch
                {
                    "add" => await api.Http.PostAsync("/api/v1/gallery", Form("images", images[n % images.Count], ("external_id", $"load-{n}"), ("camera_id", (n % 6 + 1).ToString()))),
                    "search" => await api.Http.PostAsync("/api/v1/search", Form("image", images[(n * 7) % images.Count], ("k", "10"))),
                    _ => await api.Http.GetAsync($"/api/v1/gallery/{ids.ElementAtOrDefault(random.Next(Math.Max(1, ids.Count)))}"),
                };
            }
            catch (HttpRequestException e)
            {
                statuses.AddOrUpdate(-1, 1, (_, c) => c + 1);
                Console.Error.WriteLine($"{op}: {e.Message}");
                continue;
            }
            double ms = t.Elapsed.TotalMilliseconds;
            int status = (int)response.StatusCode;
            if (op == "add" && status == 201)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                ids.Add(doc.RootElement.GetProperty("items")[0].GetProperty("id").GetInt64());
            }
            else
            {
                await response.Content.ReadAsByteArrayAsync();
            }

            response.Dispose();
            statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
            latencies.GetOrAdd(op, _ => []).Add(ms);
        }
    })).ToList();
    await Task.WhenAll(workers);
    await sampler;
    double elapsed = clock.Elapsed.TotalSeconds;

    Console.WriteLine();
    Console.WriteLine($"{"op",-7} | {"requests",8} | {"req/s",7} | {"p50 ms",8} | {"p99 ms",8} | {"max ms",8}");
    Console.WriteLine(new string('-', 62));
    foreach (var (op, bag) in latencies.OrderBy(p => p.Key))
    {
        var sorted = bag.Order().ToArray();
        Console.WriteLine($"{op,-7} | {sorted.Length,8} | {sorted.Length / elapsed,7:F1} | {Pct(sorted, 50),8:F1} | {Pct(sorted, 99),8:F1} | {sorted[^1],8:F1}");
    }
    var all = latencies.Values.SelectMany(b => b).Order().ToArray();
    Console.WriteLine($"{"all",-7} | {all.Length,8} | {all.Length / elapsed,7:F1} | {Pct(all, 50),8:F1} | {Pct(all, 99),8:F1} | {all[^1],8:F1}");
    Console.WriteLine($"status codes: {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{(p.Key < 0 ? "transport error" : p.Key.ToString())}: {p.Value}"))}");
    int fiveXx = statuses.Where(p => p.Key >= 500 || p.Key < 0).Sum(p => p.Value);
    Console.WriteLine($"5xx / transport errors: {fiveXx}");
    Console.WriteLine("server RSS (MiB) by time: " + string.Join("  ", rss.Where((_, i) => i % 5 == 0).Select(r => $"{r.T:F0}s:{r.MiB:F0}")));
    var firstHalf = rss.Where(r => r.T < seconds / 2.0).Select(r => r.MiB).DefaultIfEmpty().Max();
    var secondHalf = rss.Where(r => r.T >= seconds / 2.0).Select(r => r.MiB).DefaultIfEmpty().Max();
    Console.WriteLine($"RSS max first half {firstHalf:F0} MiB, second half {secondHalf:F0} MiB (growth {secondHalf - firstHalf:+0;-0} MiB); gallery items at end: {ids.Count}");
    return fiveXx == 0 ? 0 : 1;
}

async Task<int> Batching(int secondsPerLevel)
{
    int[] levels = [1, 4, 16, 32];
    // Both servers stay up (an idle one uses no CPU); each level alternates batched / unbatched rounds so that a
    // change in machine load hits both modes alike.
    // --batched-settings adds settings to the batched server (e.g. "--SanReid:Batching:MaxWaitMilliseconds=0", or
    // "--SanReid:Batching:Enabled=false" for an A/A control run of the bench itself).
    string[] extra = opts.TryGetValue("batched-settings", out var e) ? e.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
    using var on = new ChildApi(root, configuration, ["--SanReid:Batching:Enabled=true", .. extra]);
    using var off = new ChildApi(root, configuration, ["--SanReid:Batching:Enabled=false"]);
    foreach (var api in new[] { on, off })
    {
        await api.WaitReady();
        for (int i = 0; i < 20; i++)
            await Add(api.Http, images[i % images.Count], $"seed-{i}");
    }
    const int rounds = 4;
    var results = new Dictionary<(bool, int), (double Rps, double P50, double P99)>();
    var meanBatch = new Dictionary<int, double>();
    foreach (int clients in levels)
    {
        var samples = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        var seconds = new Dictionary<bool, double> { [true] = 0, [false] = 0 };
        foreach (var api in new[] { on, off })
            await Run(api.Http, clients, TimeSpan.FromSeconds(1)); // warm-up, not counted
        var (runs0, crops0) = await BatchStats(on.Http);
        for (int r = 0; r < rounds; r++)
        {
            // Alternate which mode goes first, so that a first-after-switch cost falls on both.
            foreach (bool batched in r % 2 == 0 ? new[] { true, false } : new[] { false, true })
            {
                var clock = Stopwatch.StartNew();
                samples[batched].AddRange(await Latencies((batched ? on : off).Http, clients, TimeSpan.FromSeconds((double)secondsPerLevel / rounds)));
                seconds[batched] += clock.Elapsed.TotalSeconds;
            }
        }
        var (runs1, crops1) = await BatchStats(on.Http);
        meanBatch[clients] = (crops1 - crops0) / Math.Max(1, runs1 - runs0);
        foreach (bool batched in new[] { true, false })
        {
            var sorted = samples[batched].Order().ToArray();
            results[(batched, clients)] = (sorted.Length / seconds[batched], Pct(sorted, 50), Pct(sorted, 99));
        }
        Console.WriteLine($"clients {clients,2}: batched {results[(true, clients)].Rps:F1} req/s, unbatched {results[(false, clients)].Rps:F1} req/s");
    }
    Console.WriteLine();
    Console.WriteLine($"POST /api/v1/search (one crop, k 10, gallery of 20), loopback, servers = child processes; {secondsPerLevel} s per mode and level in {rounds} alternating rounds (order swapped every round)");
    Console.WriteLine($"{"clients",7} | {"batched req/s",13} | {"p50 ms",7} | {"p99 ms",7} | {"crops/run",9} | {"unbatched req/s",15} | {"p50 ms",7} | {"p99 ms",7} | {"ratio",5}");
    Console.WriteLine(new string('-', 102));
    foreach (int c in levels)
    {
        var b = results[(true, c)];
        var u = results[(false, c)];
        Console.WriteLine($"{c,7} | {b.Rps,13:F1} | {b.P50,7:F0} | {b.P99,7:F0} | {meanBatch[c],9:F1} | {u.Rps,15:F1} | {u.P50,7:F0} | {u.P99,7:F0} | {b.Rps / u.Rps,5:F2}");
    }
    Console.WriteLine("(ratio = batched / unbatched throughput; crops/run = mean ONNX Runtime batch of the batched server, from /metrics)");
    return 0;
}

async Task<(double Rps, double P50, double P99)> Run(HttpClient http, int clients, TimeSpan duration)
{
    var clock = Stopwatch.StartNew();
    var sorted = (await Latencies(http, clients, duration)).Order().ToArray();
    return (sorted.Length / clock.Elapsed.TotalSeconds, Pct(sorted, 50), Pct(sorted, 99));
}

async Task<List<double>> Latencies(HttpClient http, int clients, TimeSpan duration)
{
    var latencies = new ConcurrentBag<double>();
    var clock = Stopwatch.StartNew();
    int n = 0;
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        while (clock.Elapsed < duration)
        {
            int i = Interlocked.Increment(ref n);
            var t = Stopwatch.StartNew();
            using var r = await http.PostAsync("/api/v1/search", Form("image", images[i % images.Count], ("k", "10")));
            await r.Content.ReadAsByteArrayAsync();
            if ((int)r.StatusCode != 200)
                throw new InvalidOperationException($"search: {(int)r.StatusCode}");
            latencies.Add(t.Elapsed.TotalMilliseconds);
        }
    })));
    return latencies.ToList();
}

static async Task<(double Runs, double Crops)> BatchStats(HttpClient http)
{
    var text = await http.GetStringAsync("/metrics");
    double Read(string name) => double.Parse(System.Text.RegularExpressions.Regex.Match(text, "^" + name + @" ([0-9.eE+-]+)$",
        System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    return (Read("sanreid_inference_batch_size_count"), Read("sanreid_inference_batch_size_sum"));
}

static async Task<long> Add(HttpClient http, byte[] image, string ext)
{
    using var r = await http.PostAsync("/api/v1/gallery", Form("images", image, ("external_id", ext)));
    var text = await r.Content.ReadAsStringAsync();
    if ((int)r.StatusCode != 201) throw new InvalidOperationException($"add: {(int)r.StatusCode} {text}");
    return System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("items")[0].GetProperty("id").GetInt64();
}

static MultipartFormDataContent Form(string field, byte[] image, params (string Name, string Value)[] fields)
{
    var form = new MultipartFormDataContent();
    var content = new ByteArrayContent(image);
    content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
    form.Add(content, field, "crop.jpg");
    foreach (var (name, value) in fields)
        form.Add(new StringContent(value), name);
    return form;
}

static double Pct(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "SanReid.sln"))) return d.FullName;
    throw new InvalidOperationException("SanReid.sln not found");
}

static List<byte[]> LoadImages(string root)
{
    var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "market-mini", "bounding_box_test"));
    if (Directory.Exists(dir) && Directory.GetFiles(dir, "*.jpg").Length > 0)
        return Directory.GetFiles(dir, "*.jpg").Order().Take(200).Select(File.ReadAllBytes).ToList();
    var list = new List<byte[]>();
    for (int s = 0; s < 32; s++)
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(64, 128);
        var random = new Random(s);
        for (int y = 0; y < 128; y++) for (int x = 0; x < 64; x++) image[x, y] = new((byte)random.Next(256), (byte)(y * 2), (byte)(x * 4));
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(image, ms);
        list.Add(ms.ToArray());
    }
    return list;
}
