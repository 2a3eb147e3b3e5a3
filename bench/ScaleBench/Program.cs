// Gallery search at camera-network scale (issue 8): loads N re-ID-shaped embeddings through GalleryStore (SQLite +
// the store's own index choice) and measures single-query latency, concurrent throughput, recall@10 against exact
// search, filtered search at ~50% / 5% / 0.1% selectivity, index build time, adds/deletes during a background build,
// process RSS and the time to reopen the gallery (what the Api's start-up does with it).
// Usage: dotnet run -c Release --project bench/ScaleBench -- [--n 100000] [--d 512] [--queries 1000]
//        [--filtered-queries 300] [--seconds 5] [--db PATH] [--json FILE] [--index Auto] [--flat-limit 50000]
//        [--api src/Api/bin/Release/net10.0/SanReid.Api.dll]   (time the real Api's start-up on the gallery)
// The gallery database is kept (default /tmp/scalebench-N.db) and reused by a later run with the same N.
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using SanReid.Index;
using SanReid.ScaleBench;

int n = IntArg("--n", 100_000), d = IntArg("--d", 512), queryCount = IntArg("--queries", 1000);
int filteredQueries = IntArg("--filtered-queries", 300), seconds = IntArg("--seconds", 5);
int flatLimit = IntArg("--flat-limit", new GalleryStoreOptions { DatabasePath = "-", Dimension = 1 }.AutoFlatLimit);
string factory = StringArg("--index", GalleryStoreOptions.AutoIndex)!;
string db = StringArg("--db", Path.Combine(Path.GetTempPath(), $"scalebench-{n}.db"))!;
string? jsonPath = StringArg("--json", null);
const int K = 10;
const int CropsPerIdentity = 20;
int identities = Math.Max(1, n / CropsPerIdentity);
var data = new ReidLikeData(d, CropsPerIdentity, identitiesPerGroup: 50);

string[] userArgs = args.Contains("--measure") ? args[..Array.IndexOf(args, "--measure")] : args;
Console.WriteLine($"command: dotnet run -c Release --project bench/ScaleBench --{(userArgs.Length > 0 ? " " : "")}{string.Join(' ', userArgs)}{(args.Contains("--measure") ? "   [measuring in a fresh process]" : "")}");
Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores, FAISS {FaissIndex.FaissVersion}, " +
    $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset: the Index sets PASSIVE)"}, load average {LoadAverage()}");
Console.WriteLine($"gallery: {n:N0} x {d} ({identities:N0} identities x {CropsPerIdentity} crops, {ReidLikeData.Cameras} cameras, 30 days, {ReidLikeData.Labels} labels), db {db}");

GalleryStoreOptions options = new()
{
    DatabasePath = db,
    Dimension = d,
    IndexFactory = factory,
    BackgroundIndexBuild = true,
    PersistIndex = true,
    AutoFlatLimit = flatLimit,
};

// 1. Load (or reuse) the gallery through GalleryStore, then retrain in the background while adding and deleting.
// Phase 2 runs in a fresh process (this program again, with --measure and phase 1's figures), so that its RSS is that
// of a process opening an existing gallery, as the Api does, not one that also generated and loaded it.
double loadSeconds = DoubleArg("--load-seconds", 0), buildSeconds = DoubleArg("--build-seconds", 0);
double lockHoldMs = 0, lockWaitMs = 0, worstLoadBatchMs = 0, worstLoadBatchDuringBuildMs = 0;
long worstWriteMs = (long)DoubleArg("--worst-write-ms", 0);
int writesDuringBuild = (int)DoubleArg("--writes-during-build", 0);
if (!args.Contains("--measure"))
{
    using (GalleryStore store = GalleryStore.Open(options))
    {
        long have = store.Count;
        if (have != 0 && have != n)
        {
            throw new InvalidOperationException($"{db} holds {have} items, not {n}: delete it or pass another --db.");
        }

        if (have == 0)
        {
            var load = Stopwatch.StartNew();
            const int Batch = 2000;
            for (long start = 0; start < n; start += Batch)
            {
                var items = new List<NewGalleryItem>(Batch);
                for (long i = start; i < Math.Min(n, start + Batch); i++)
                {
                    items.Add(data.Crop(i));
                }

                // Each batch add is timed; one whose lock wait set a new record is named, with whether a build ran.
                double waitBefore = store.IndexStatus.MaxWriteLockWaitMs;
                bool buildingBefore = store.IndexStatus.Building;
                TimeSpan gcBefore = GC.GetTotalPauseDuration();
                var batchWatch = Stopwatch.StartNew();
                store.Add(items);
                double batchMs = batchWatch.Elapsed.TotalMilliseconds;
                bool buildingDuring = buildingBefore || store.IndexStatus.Building;
                worstLoadBatchMs = Math.Max(worstLoadBatchMs, batchMs);
                if (buildingDuring)
                {
                    worstLoadBatchDuringBuildMs = Math.Max(worstLoadBatchDuringBuildMs, batchMs);
                }

                double waitAfter = store.IndexStatus.MaxWriteLockWaitMs;
                if (waitAfter > 1000 && waitAfter > waitBefore)
                {
                    Console.WriteLine($"  batch at {start:N0}: {batchMs:F0} ms, waited {waitAfter:F0} ms for the memory lock, GC pauses {(GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds:F0} ms " +
                        $"({(buildingDuring ? "a background build was running" : "no build running")}, index {store.ActiveIndexFactory})");
                }

                if (start % 100_000 == 0 && start > 0)
                {
                    Console.WriteLine($"  loaded {start:N0} ({load.Elapsed.TotalSeconds:F0} s), index {store.ActiveIndexFactory}");
                }
            }

            loadSeconds = load.Elapsed.TotalSeconds;
            Console.WriteLine($"load: slowest {Batch:N0}-row add {worstLoadBatchMs:F0} ms; slowest while a background build ran " +
                $"{worstLoadBatchDuringBuildMs:F0} ms");
        }

        // Adds and deletes while a build runs must keep answering: retrain now and time each write during the build.
        store.WaitForIndexBuild();
        bool retraining = store.RebuildIndex();
        var extraIds = new List<long>();
        long extra = 0;
        while (store.IndexStatus.Building)
        {
            var one = Stopwatch.StartNew();
            var added = store.Add([data.Crop(10_000_000 + extra++) with { ExternalId = $"extra-{extra}", Label = "extra" }]);
            worstWriteMs = Math.Max(worstWriteMs, one.ElapsedMilliseconds);
            extraIds.Add(added[0].Id);
            writesDuringBuild++;
            if (extraIds.Count > 20)
            {
                one.Restart();
                store.Delete(extraIds[0]);
                extraIds.RemoveAt(0);
                worstWriteMs = Math.Max(worstWriteMs, one.ElapsedMilliseconds);
                writesDuringBuild++;
            }

            Thread.Sleep(20);
        }

        store.WaitForIndexBuild();
        buildSeconds = retraining ? store.IndexStatus.LastBuildSeconds ?? 0 : 0;
        foreach (long id in extraIds)
        {
            store.Delete(id);
        }

        store.DeleteBefore(GalleryTimeColumn.CapturedAt, ReidLikeData.Start); // none: all crops are captured after Start
        var locks = store.IndexStatus;
        lockHoldMs = locks.MaxWriteLockHoldMs;
        lockWaitMs = locks.MaxWriteLockWaitMs;
        Console.WriteLine($"load {loadSeconds:F1} s, last index build {buildSeconds:F1} s ({writesDuringBuild} adds/deletes during it, worst {worstWriteMs} ms; " +
            $"longest write-lock hold in the store {locks.MaxWriteLockHoldMs:F0} ms, longest wait for it {locks.MaxWriteLockWaitMs:F0} ms)");
    }

    string self = Environment.ProcessPath!;
    var child = new ProcessStartInfo(self) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        child.ArgumentList.Add(typeof(ReidLikeData).Assembly.Location);
    }

    foreach (string a in args)
    {
        child.ArgumentList.Add(a);
    }

    foreach (string a in (string[])["--measure", "--load-seconds", Fmt(loadSeconds), "--build-seconds", Fmt(buildSeconds),
        "--worst-write-ms", Fmt(worstWriteMs), "--writes-during-build", Fmt(writesDuringBuild),
        "--lock-hold-ms", Fmt(lockHoldMs), "--lock-wait-ms", Fmt(lockWaitMs)])
    {
        child.ArgumentList.Add(a);
    }

    using Process measure = Process.Start(child)!;
    measure.WaitForExit();
    return measure.ExitCode;
}

// 2. With --api PATH (SanReid.Api.dll): start the real Api on this gallery and time /health/ready (model load, gallery
// open, warm-up). Then reopen the store here: what the Api's start-up does with it (SQLite into memory + index file).
double? apiReadySeconds = null;
if (StringArg("--api", null) is { } apiDll)
{
    apiReadySeconds = ApiReadySeconds(apiDll, db);
    Console.WriteLine($"Api ready on the existing gallery in {apiReadySeconds:F1} s (GET /health/ready = 200)");
}

var ready = Stopwatch.StartNew();
using GalleryStore gallery = GalleryStore.Open(options);
double readySeconds = ready.Elapsed.TotalSeconds;
GalleryIndexStatus status0 = gallery.IndexStatus;
bool rebuilding = status0.Building;
gallery.WaitForIndexBuild();
GC.Collect();
GC.WaitForPendingFinalizers();
long rss = Process.GetCurrentProcess().WorkingSet64;
GalleryIndexStatus status = gallery.IndexStatus;
GalleryOpenReport opened = gallery.OpenReport;
Console.WriteLine($"reopen {readySeconds:F1} s (SQLite open {opened.DatabaseSeconds:F1} s, scan of {opened.Rows:N0} rows into memory " +
    $"{opened.ScanSeconds:F1} s, index {opened.IndexSource} {opened.IndexSeconds:F1} s; index builds since open {status0.Builds})");
Console.WriteLine($"reopen {readySeconds:F1} s{(rebuilding ? " (no usable index file: built again in the background)" : "")}; " +
    $"index {status.ActiveFactory}, nprobe {status.Nprobe?.ToString(CultureInfo.InvariantCulture) ?? "-"}, " +
    $"calibrated recall@10 {status.CalibratedRecall?.ToString("F3", CultureInfo.InvariantCulture) ?? "-"}, last build {status.LastBuildSeconds?.ToString("F1", CultureInfo.InvariantCulture) ?? "(loaded from file)"} s");
Console.WriteLine($"RSS {rss / 1e9:F2} GB = {rss / (double)((long)n * d * 4):F2} x the raw vectors ({(long)n * d * 4 / 1e9:F2} GB)");

// 3. Queries and scenarios.
float[][] queries = [.. Enumerable.Range(0, queryCount).Select(q => data.Query(q, identities))];
var scenarios = new List<Scenario>
{
    new("unfiltered", null, queryCount),
    new("filter-50", new GalleryFilter { IncludeCameras = [0, 1, 2, 3, 4] }, filteredQueries),
    new("filter-5", new GalleryFilter { IncludeCameras = [3], CapturedFrom = ReidLikeData.Start, CapturedTo = ReidLikeData.Start.AddDays(15) }, filteredQueries),
    new("filter-0.1", new GalleryFilter { IncludeCameras = [2], Label = "L07", CapturedFrom = ReidLikeData.Start.AddDays(10), CapturedTo = ReidLikeData.Start.AddDays(16) }, filteredQueries),
};

Console.WriteLine("exact ground truth (one pass over the stored vectors; filter membership from SQLite)...");
var truthWatch = Stopwatch.StartNew();
long[][][] truth = GroundTruth(scenarios);
Console.WriteLine($"  {truthWatch.Elapsed.TotalSeconds:F0} s");

var results = new List<Dictionary<string, object?>>();
Console.WriteLine();
Console.WriteLine($"{"scenario",-16}{"selected",10}{"p50 ms",9}{"p95 ms",9}{"p99 ms",9}{"qps",9}{"recall@10",11}{"cpu ms/q",10}");
for (int s = 0; s < scenarios.Count; s++)
{
    Scenario scenario = scenarios[s];
    long selected = scenario.Filter is null ? n : gallery.List(scenario.Filter, 0, 1).Total;
    gallery.Search(queries[0], K, scenario.Filter); // warm-up
    var latencies = new double[scenario.Queries];
    double recall = 0;
    TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    for (int q = 0; q < scenario.Queries; q++)
    {
        var one = Stopwatch.StartNew();
        IReadOnlyList<GalleryMatch> hits = gallery.Search(queries[q], K, scenario.Filter);
        latencies[q] = one.Elapsed.TotalMilliseconds;
        recall += Recall(hits, truth[s][q]);
    }

    // Process CPU time per query: what a query costs whatever else the machine runs (wall latency on a shared, loaded
    // machine is mostly waiting for a core).
    double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / scenario.Queries;
    recall /= scenario.Queries;
    Array.Sort(latencies);
    double qps = scenario.Queries / (latencies.Sum() / 1000);
    Console.WriteLine($"{scenario.Name,-16}{selected,10:N0}{Pct(latencies, 50),9:F2}{Pct(latencies, 95),9:F2}{Pct(latencies, 99),9:F2}{qps,9:F1}{recall,11:F3}{cpuMs,10:F2}");
    var row = Row(scenario.Name, Pct(latencies, 50), Pct(latencies, 95), Pct(latencies, 99), qps, recall, selected);
    row["cpu_ms_per_query"] = Math.Round(cpuMs, 3);
    results.Add(row);
}

foreach (int clients in new[] { 1, 4, 16, 32 })
{
    var all = new List<double>[clients];
    var stop = Stopwatch.StartNew();
    Parallel.For(0, clients, new ParallelOptions { MaxDegreeOfParallelism = clients }, c =>
    {
        all[c] = [];
        for (int q = c; stop.Elapsed.TotalSeconds < seconds; q = (q + clients) % queryCount)
        {
            var one = Stopwatch.StartNew();
            gallery.Search(queries[q], K);
            all[c].Add(one.Elapsed.TotalMilliseconds);
        }
    });
    double elapsed = stop.Elapsed.TotalSeconds;
    double[] latencies = [.. all.SelectMany(l => l).Order()];
    double qps = latencies.Length / elapsed;
    Console.WriteLine($"{$"concurrent-{clients}",-16}{n,10:N0}{Pct(latencies, 50),9:F2}{Pct(latencies, 95),9:F2}{Pct(latencies, 99),9:F2}{qps,9:F1}{"",11}");
    results.Add(Row($"concurrent-{clients}", Pct(latencies, 50), Pct(latencies, 95), Pct(latencies, 99), qps, null, n));
}

Console.WriteLine();
Console.WriteLine($"ready (reopen) {readySeconds:F1} s, RSS {rss / 1e9:F2} GB, load {loadSeconds:F1} s, build {buildSeconds:F1} s, " +
    $"worst add/delete during build {worstWriteMs} ms");
if (jsonPath is not null)
{
    var report = new Dictionary<string, object?>
    {
        ["n"] = n,
        ["dimension"] = d,
        ["index"] = status.ActiveFactory,
        ["nprobe"] = status.Nprobe,
        ["calibrated_recall_at_10"] = status.CalibratedRecall,
        ["scenarios"] = results,
        ["rss_bytes"] = rss,
        ["raw_vector_bytes"] = (long)n * d * 4,
        ["ready_seconds"] = apiReadySeconds ?? readySeconds,
        ["ready_measured"] = apiReadySeconds is null ? "GalleryStore.Open in a fresh process (the Api's gallery stage)" : "Api process start to /health/ready 200",
        ["store_open_seconds"] = readySeconds,
        ["load_seconds"] = loadSeconds,
        ["open_phases"] = new Dictionary<string, object>
        {
            ["sqlite_open_seconds"] = Math.Round(opened.DatabaseSeconds, 3),
            ["scan_seconds"] = Math.Round(opened.ScanSeconds, 3),
            ["index_seconds"] = Math.Round(opened.IndexSeconds, 3),
            ["index_source"] = opened.IndexSource,
            ["index_builds_at_open"] = status0.Builds,
        },
        ["longest_write_lock_hold_ms"] = Math.Round(DoubleArg("--lock-hold-ms", 0), 1),
        ["longest_write_wait_ms"] = Math.Round(DoubleArg("--lock-wait-ms", 0), 1),
        ["build_seconds"] = buildSeconds,
        ["worst_write_ms_during_build"] = worstWriteMs,
        ["writes_during_build"] = writesDuringBuild,
        ["cpu"] = CpuModel(),
        ["cores"] = Environment.ProcessorCount,
        ["load_average"] = LoadAverage(),
        ["command"] = "dotnet run -c Release --project bench/ScaleBench -- " + string.Join(' ', userArgs),
    };
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"wrote {jsonPath}");
}

return 0;

// Exact top-10 ids per scenario and query, in one pass over the stored vectors (ids are 1..n in load order). Which
// items pass each filter comes from SQLite (GalleryStore.List, the SQL filter), not from the in-memory catalog that
// search uses, so the truth does not share the code under test.
long[][][] GroundTruth(List<Scenario> list)
{
    bool[][] passes = [.. list.Select(sc => sc.Filter is null ? null! : Members(sc.Filter))];
    var heaps = list.Select(sc => Enumerable.Range(0, sc.Queries).Select(_ => new PriorityQueue<long, float>()).ToArray()).ToArray();
    const int Block = 4096;
    var rows = new float[Block * d];
    for (long start = 0; start < n; start += Block)
    {
        int count = (int)Math.Min(Block, n - start);
        for (int i = 0; i < count; i++)
        {
            (gallery.GetEmbedding(start + i + 1) ?? throw new InvalidOperationException($"id {start + i + 1} is missing")).CopyTo(rows, i * d);
        }

        Parallel.For(0, queryCount, q =>
        {
            for (int i = 0; i < count; i++)
            {
                float score = TensorPrimitives.Dot(queries[q], rows.AsSpan(i * d, d));
                for (int s = 0; s < list.Count; s++)
                {
                    if (q < list[s].Queries && (passes[s] is null || passes[s][start + i + 1]))
                    {
                        PriorityQueue<long, float> heap = heaps[s][q];
                        if (heap.Count < K)
                        {
                            heap.Enqueue(start + i + 1, score);
                        }
                        else if (heap.TryPeek(out _, out float weakest) && score > weakest)
                        {
                            heap.EnqueueDequeue(start + i + 1, score);
                        }
                    }
                }
            }
        });
    }

    return [.. heaps.Select(perQuery => perQuery.Select(h => h.UnorderedItems.Select(e => e.Element).ToArray()).ToArray())];
}

// Membership by id (index = id) of the items passing a filter, paged out of SQLite.
bool[] Members(GalleryFilter filter)
{
    var member = new bool[n + 1];
    long after = 0;
    while (true)
    {
        GalleryPage page = gallery.List(filter, after, 10_000);
        foreach (GalleryItem item in page.Items)
        {
            if (item.Id <= n)
            {
                member[item.Id] = true;
            }
        }

        if (page.NextAfterId is not { } next)
        {
            return member;
        }

        after = next;
    }
}

static double Recall(IReadOnlyList<GalleryMatch> hits, long[] truth)
{
    if (truth.Length == 0)
    {
        return 1;
    }

    var set = truth.ToHashSet();
    return hits.Take(K).Count(h => set.Contains(h.Item.Id)) / (double)truth.Length;
}

static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];

static Dictionary<string, object?> Row(string name, double p50, double p95, double p99, double qps, double? recall, long selected) => new()
{
    ["name"] = name,
    ["p50_ms"] = Math.Round(p50, 3),
    ["p95_ms"] = Math.Round(p95, 3),
    ["p99_ms"] = Math.Round(p99, 3),
    ["qps"] = Math.Round(qps, 1),
    ["recall_at_10"] = recall is { } r ? Math.Round(r, 4) : null,
    ["selected"] = selected,
};

static string CpuModel() =>
    File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : "unknown";

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

// Starts the Api (dotnet SanReid.Api.dll) on the gallery at a free port; seconds until /health/ready answers 200.
static double ApiReadySeconds(string apiDll, string database)
{
    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (string a in (string[])[Path.GetFullPath(apiDll), "--urls", $"http://127.0.0.1:{port}", $"--SanReid:Gallery:DatabasePath={database}",
        "--SanReid:Auth:AllowAnonymousWrites=true", "--SanReid:Model:ExecutionProvider=cpu"])
    {
        start.ArgumentList.Add(a);
    }

    start.WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(apiDll))!;
    var watch = Stopwatch.StartNew();
    using Process api = Process.Start(start)!;
    api.OutputDataReceived += (_, _) => { };
    api.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  api: " + e.Data); };
    api.BeginOutputReadLine();
    api.BeginErrorReadLine();
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    try
    {
        while (watch.Elapsed < TimeSpan.FromMinutes(10))
        {
            if (api.HasExited)
            {
                throw new InvalidOperationException($"The Api exited with code {api.ExitCode} before it was ready.");
            }

            try
            {
                using var response = http.GetAsync($"http://127.0.0.1:{port}/health/ready").GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode)
                {
                    return watch.Elapsed.TotalSeconds;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException("The Api was not ready within 10 minutes.");
    }
    finally
    {
        api.Kill(entireProcessTree: true);
        api.WaitForExit();
    }
}

static string Fmt(double value) => value.ToString("R", CultureInfo.InvariantCulture);

double DoubleArg(string name, double fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

int IntArg(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

string? StringArg(string name, string? fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

internal sealed record Scenario(string Name, GalleryFilter? Filter, int Queries);
