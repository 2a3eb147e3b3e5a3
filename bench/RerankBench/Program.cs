// Latency of POST /api/v1/search's rerank=true work next to a plain search, on a SQLite + FAISS Flat gallery of
// re-ID-shaped synthetic unit embeddings (bench/ScaleBench/ReidLikeData: crops around identity centres, identities in
// look-alike groups). Plain: GalleryStore.Search(k). Rerank: Search(max(k, C)), the C stored embeddings
// (GetEmbedding), CandidateReranking (k1 20, k2 6, lambda 0.3) - what Api/Services/SearchReranker does; the query's
// embedding by the model (about 25 ms on CPU) is the same either way and left out.
// Usage: dotnet run -c Release --project bench/RerankBench -- [--n 10000] [--d 512] [--k 10] [--candidates 100] [--queries 200]
// Prints median and p95 wall ms per query for both, process CPU ms per query (on a loaded machine the wall figures
// mostly measure the other jobs), and rank-1 / precision@k of the query's identity for both.
using System.Diagnostics;
using SanReid.Index;
using SanReid.Inference.Ranking;
using SanReid.ScaleBench;

int n = Arg("--n", 10_000), d = Arg("--d", 512), k = Arg("--k", 10), c = Arg("--candidates", 100), queries = Arg("--queries", 200);
const int CropsPerIdentity = 10, IdentitiesPerGroup = 10;
int identities = (n + CropsPerIdentity - 1) / CropsPerIdentity;
Console.WriteLine($"command: dotnet run -c Release --project bench/RerankBench --{(args.Length > 0 ? " " : "")}{string.Join(' ', args)}");
Console.WriteLine($"cpu: {Cpu()}, {Environment.ProcessorCount} cores; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine($"gallery {n:N0} x {d} ({identities:N0} identities x {CropsPerIdentity} crops, groups of {IdentitiesPerGroup}), k {k}, candidates max(k, {c}) = {Math.Max(k, c)}, {queries} queries");

var data = new ReidLikeData(d, CropsPerIdentity, IdentitiesPerGroup);
string folder = Directory.CreateTempSubdirectory("sanreid-rerankbench-").FullName;
try
{
    using var store = GalleryStore.Open(new GalleryStoreOptions { DatabasePath = Path.Combine(folder, "g.db"), Dimension = d });
    var crops = new Dictionary<long, int>(); // gallery id -> identity
    for (int start = 0; start < n; start += 1000)
    {
        var batch = Enumerable.Range(start, Math.Min(1000, n - start)).Select(i => data.Crop(i)).ToList();
        var added = store.Add(batch);
        for (int i = 0; i < added.Count; i++)
        {
            crops[added[i].Id] = data.IdentityOf(start + i);
        }
    }

    var plainTimes = new List<double>();
    var rerankTimes = new List<double>();
    var fetchTimes = new List<double>(); // the shortlist search and its stored embeddings, before the re-ranking
    int plainHits = 0, rerankHits = 0;
    double plainPrecision = 0, rerankPrecision = 0;
    double plainCpu = 0, rerankCpu = 0; // process CPU time: on a shared machine wall time mostly measures the neighbours
    for (int q = -3; q < queries; q++) // three warm-up queries
    {
        int query = Math.Max(q, 0);
        float[] embedding = data.Query(query, identities);
        int identity = new Random(unchecked(0x0BEE0000 + (query * 104729))).Next(identities); // Query's own draw
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var plain = store.Search(embedding, k);
        double plainMs = watch.Elapsed.TotalMilliseconds;
        process.Refresh();
        var cpu1 = process.TotalProcessorTime;

        watch.Restart();
        var shortlist = store.Search(embedding, Math.Max(k, c));
        var embeddings = new List<float>(shortlist.Count * d);
        var kept = new List<GalleryMatch>(shortlist.Count);
        foreach (var match in shortlist)
        {
            if (store.GetEmbedding(match.Item.Id) is { } e)
            {
                kept.Add(match);
                embeddings.AddRange(e);
            }
        }

        double fetchMs = watch.Elapsed.TotalMilliseconds;
        var reranked = CandidateReranking.Rerank(embedding, [.. embeddings]).Take(k).Select(x => kept[x.Candidate]).ToList();
        double rerankMs = watch.Elapsed.TotalMilliseconds;
        process.Refresh();
        var cpu2 = process.TotalProcessorTime;
        if (q < 0)
        {
            continue;
        }

        plainTimes.Add(plainMs);
        rerankTimes.Add(rerankMs);
        fetchTimes.Add(fetchMs);
        plainCpu += (cpu1 - cpu0).TotalMilliseconds;
        rerankCpu += (cpu2 - cpu1).TotalMilliseconds;
        plainHits += crops[plain[0].Item.Id] == identity ? 1 : 0;
        rerankHits += crops[reranked[0].Item.Id] == identity ? 1 : 0;
        plainPrecision += plain.Count(m => crops[m.Item.Id] == identity) / (double)k;
        rerankPrecision += reranked.Count(m => crops[m.Item.Id] == identity) / (double)k;
    }

    Console.WriteLine($"plain search:     median {Percentile(plainTimes, 50):F2} ms, p95 {Percentile(plainTimes, 95):F2} ms; rank-1 {plainHits / (double)queries:F3}, precision@{k} {plainPrecision / queries:F3}");
    Console.WriteLine($"rerank=true work: median {Percentile(rerankTimes, 50):F2} ms, p95 {Percentile(rerankTimes, 95):F2} ms; rank-1 {rerankHits / (double)queries:F3}, precision@{k} {rerankPrecision / queries:F3}");
    Console.WriteLine($"process CPU per query: plain {plainCpu / queries:F2} ms, rerank=true {rerankCpu / queries:F2} ms");
    Console.WriteLine($"  of which shortlist search + stored embeddings: median {Percentile(fetchTimes, 50):F2} ms, p95 {Percentile(fetchTimes, 95):F2} ms");
}
finally
{
    Directory.Delete(folder, recursive: true);
}

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p / 100 * sorted.Count) - 1)];
}

static string Cpu() =>
    File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
