// Replicas over one PostgreSQL gallery (issue 9), measured in one process with two GalleryStores on a throwaway
// cluster: no HTTP and no ONNX, so the figures are the gallery's own (an Api request adds upload, decode and embedding).
// Usage: dotnet run -c Release --project bench/ReplicaBench -- [--n 20000] [--d 512] [--adds 300] [--searches 2000]
//   1. ingest: single-item adds/s and 64-item batch adds/s through replica A (SQLite, one store, for comparison)
//   2. add-to-visible: a single add through A until replica B holds it in memory (polled every 0.2 ms), p50/p99
//   3. search p50/p99 (k = 10, Flat, n items) while adds go on at --write-rate items/s: one replica doing both,
//      against two replicas (adds through A, searches on B)
// The machine's load average is printed: on a shared machine compare figures of one run, not across runs.
using System.Diagnostics;
using SanReid.Index;
using SanReid.Index.Tests;

int n = Arg("--n", 20_000), d = Arg("--d", 512), adds = Arg("--adds", 300), searches = Arg("--searches", 2000);
int writeRate = Arg("--write-rate", 50);
Console.WriteLine($"command: dotnet run -c Release --project bench/ReplicaBench --{(args.Length > 0 ? " " : "")}{string.Join(' ', args)}");
Console.WriteLine($"{Environment.ProcessorCount} cores, {CpuModel()}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine($"gallery {n:N0} x {d} float32 unit vectors (Flat: exact search)");

using PostgreSqlCluster cluster = PostgreSqlCluster.Start();
var random = new Random(1);
GalleryStoreOptions Pg(string schema) => new()
{
    DatabasePath = schema,
    Dimension = d,
    PostgreSql = new PostgreSqlGalleryOptions { ConnectionString = cluster.ConnectionString(schema) },
};

// 1. Ingest.
string sqliteFolder = Directory.CreateTempSubdirectory("sanreid-replicabench-").FullName;
try
{
    using (GalleryStore sqlite = GalleryStore.Open(new GalleryStoreOptions { DatabasePath = Path.Combine(sqliteFolder, "g.db"), Dimension = d }))
    {
        Console.WriteLine($"ingest SQLite (one store):    {Ingest(sqlite, 1, 200):F0} items/s single, {Ingest(sqlite, 64, 40):F0} items/s in batches of 64");
    }
}
finally
{
    Directory.Delete(sqliteFolder, recursive: true);
}

using (GalleryStore a = GalleryStore.Open(Pg("ingest")))
using (GalleryStore b = GalleryStore.Open(Pg("ingest")))
{
    Console.WriteLine($"ingest PostgreSQL (2 replicas): {Ingest(a, 1, 200):F0} items/s single, {Ingest(a, 64, 40):F0} items/s in batches of 64");
}

// 2 and 3 on a filled gallery.
using GalleryStore first = GalleryStore.Open(Pg("bench"));
for (int done = 0; done < n; done += 1000)
{
    first.Add(Items(Math.Min(1000, n - done)));
}

using GalleryStore second = GalleryStore.Open(Pg("bench"));
Console.WriteLine($"filled: {first.Count:N0} items; replica B loaded them in its Open");

var visible = new List<double>();
for (int i = 0; i < adds; i++)
{
    long id = first.Add(Items(1))[0].Id;
    long acknowledged = Stopwatch.GetTimestamp();
    while (second.GetEmbedding(id) is null)
    {
        Thread.SpinWait(200);
        if (Stopwatch.GetElapsedTime(acknowledged).TotalSeconds > 5)
        {
            throw new InvalidOperationException($"item {id} not visible on replica B after 5 s");
        }
    }

    visible.Add(Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds);
}

Console.WriteLine($"add-to-visible on the other replica ({adds} single adds): p50 {Percentile(visible, 50):F1} ms, p99 {Percentile(visible, 99):F1} ms, max {visible.Max():F1} ms");

(double p50, double p99) one = SearchUnderWrites(first, first);
(double p50, double p99) two = SearchUnderWrites(first, second);
Console.WriteLine($"search k=10 with adds at {writeRate}/s, one replica (adds and searches):  p50 {one.p50:F2} ms, p99 {one.p99:F2} ms");
Console.WriteLine($"search k=10 with adds at {writeRate}/s, two replicas (adds A, searches B): p50 {two.p50:F2} ms, p99 {two.p99:F2} ms");
Console.WriteLine("(both replicas share this machine's cores: on separate machines, searches on B would not compete with A's adds)");

(double, double) SearchUnderWrites(GalleryStore writer, GalleryStore searcher)
{
    using var stop = new CancellationTokenSource();
    Task writes = Task.Run(() =>
    {
        var clock = Stopwatch.StartNew();
        long written = 0;
        while (!stop.IsCancellationRequested)
        {
            writer.Add(Items(1));
            written++;
            double ahead = written / (double)writeRate - clock.Elapsed.TotalSeconds;
            if (ahead > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(ahead));
            }
        }
    });
    float[] queries = Unit(200);
    var latencies = new List<double>(searches);
    for (int i = 0; i < searches; i++)
    {
        long t = Stopwatch.GetTimestamp();
        searcher.Search(queries.AsSpan(i % 200 * d, d), 10);
        latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }

    stop.Cancel();
    writes.Wait();
    return (Percentile(latencies, 50), Percentile(latencies, 99));
}

double Ingest(GalleryStore store, int batch, int calls)
{
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < calls; i++)
    {
        store.Add(Items(batch));
    }

    return batch * calls / clock.Elapsed.TotalSeconds;
}

List<NewGalleryItem> Items(int count)
{
    float[] data = Unit(count);
    return [.. Enumerable.Range(0, count).Select(i => new NewGalleryItem(data[(i * d)..((i + 1) * d)], CameraId: 1 + i % 6))];
}

float[] Unit(int count)
{
    var data = new float[count * d];
    for (int r = 0; r < count; r++)
    {
        Span<float> row = data.AsSpan(r * d, d);
        for (int j = 0; j < d; j++)
        {
            row[j] = (float)(random.NextDouble() * 2 - 1);
        }

        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
        System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
    }

    return data;
}

static double Percentile(List<double> values, double p)
{
    double[] sorted = [.. values.Order()];
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static string CpuModel() =>
    File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown CPU";

int Arg(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
