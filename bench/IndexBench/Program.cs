// FAISS Flat (inner product) search speed next to a brute-force C# loop, on random unit vectors.
// Usage: dotnet run -c Release --project bench/IndexBench -- [--n 100000] [--d 512] [--k 10] [--single 30] [--batch 1000]
// Prints queries/s for single queries and for one batch, and FAISS / C# ratios. OPENBLAS_CORETYPE (see DESIGN.md)
// changes FAISS's batched path (sgemm), OMP_WAIT_POLICY=PASSIVE stops idle OpenMP threads spinning (it matters on
// small shared machines); both are read from the environment, never set here.
using System.Diagnostics;
using System.Numerics.Tensors;
using SanReid.Index;

int n = Arg("--n", 100_000), d = Arg("--d", 512), k = Arg("--k", 10);
int singleQueries = Arg("--single", 30), batchQueries = Arg("--batch", 1000);
int bruteBatchQueries = Math.Min(batchQueries, 100);

Console.WriteLine($"command: dotnet run -c Release --project bench/IndexBench --{(args.Length > 0 ? " " : "")}{string.Join(' ', args)}");
Console.WriteLine($"FAISS {FaissIndex.FaissVersion}, {Environment.ProcessorCount} cores, " +
    $"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}, " +
    $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}");
Console.WriteLine($"gallery {n:N0} x {d} float32 unit vectors, k = {k}");

float[] gallery = RandomUnit(n, d, seed: 1);
float[] queries = RandomUnit(Math.Max(singleQueries, batchQueries), d, seed: 2);
long[] ids = [.. Enumerable.Range(0, n).Select(i => (long)i)];

using FaissIndex index = FaissIndex.Create("Flat", d);
var watch = Stopwatch.StartNew();
index.Add(gallery, ids);
Console.WriteLine($"FAISS add: {watch.Elapsed.TotalSeconds:F2} s");

// Same answers first: a speed figure for wrong results would mean nothing.
for (int q = 0; q < 3; q++)
{
    long faissTop = index.Search(Query(q), k)[0].Id;
    long bruteTop = BruteForce(Query(q), k)[0].Id;
    if (faissTop != bruteTop)
    {
        throw new InvalidOperationException($"Query {q}: FAISS top-1 {faissTop} != brute force {bruteTop}");
    }
}

index.Search(Query(0), k); // warm-up
double faissSingle = Rate(singleQueries, () =>
{
    for (int q = 0; q < singleQueries; q++)
    {
        index.Search(Query(q), k);
    }
});
double faissBatch = Rate(batchQueries, () => index.SearchBatch(queries.AsSpan(0, batchQueries * d), k));

BruteForce(Query(0), k); // warm-up
double bruteSingle = Rate(singleQueries, () =>
{
    for (int q = 0; q < singleQueries; q++)
    {
        BruteForce(Query(q), k);
    }
});
double bruteParallel = Rate(bruteBatchQueries, () => Parallel.For(0, bruteBatchQueries, q => BruteForce(Query(q), k)));

Console.WriteLine();
Console.WriteLine($"{"",-44}{"queries/s",12}");
Console.WriteLine($"{"FAISS Flat, single queries",-44}{faissSingle,12:F1}");
Console.WriteLine($"{"C# brute force (TensorPrimitives.Dot), single",-44}{bruteSingle,12:F1}");
Console.WriteLine($"{"  ratio FAISS / C#, single",-44}{faissSingle / bruteSingle,12:F2}");
Console.WriteLine($"{$"FAISS Flat, one batch of {batchQueries}",-44}{faissBatch,12:F1}");
Console.WriteLine($"{$"C# brute force, Parallel.For over {bruteBatchQueries}",-44}{bruteParallel,12:F1}");
Console.WriteLine($"{"  ratio FAISS / C#, batch",-44}{faissBatch / bruteParallel,12:F2}");
return 0;

ReadOnlySpan<float> Query(int q) => queries.AsSpan(q * d, d);

FaissHit[] BruteForce(ReadOnlySpan<float> query, int top)
{
    // Min-heap of the best `top`: the root is the weakest kept score.
    var best = new PriorityQueue<long, float>(top + 1);
    for (int i = 0; i < n; i++)
    {
        float score = TensorPrimitives.Dot(query, gallery.AsSpan(i * d, d));
        if (best.Count < top)
        {
            best.Enqueue(i, score);
        }
        else if (best.TryPeek(out _, out float weakest) && score > weakest)
        {
            best.EnqueueDequeue(i, score);
        }
    }

    var hits = new FaissHit[best.Count];
    for (int j = hits.Length - 1; best.TryDequeue(out long id, out float score); j--)
    {
        hits[j] = new FaissHit(id, score);
    }

    return hits;
}

static double Rate(int count, Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return count / watch.Elapsed.TotalSeconds;
}

static float[] RandomUnit(int rows, int d, int seed)
{
    var random = new Random(seed);
    var data = new float[rows * d];
    for (int i = 0; i < rows; i++)
    {
        Span<float> row = data.AsSpan(i * d, d);
        for (int j = 0; j < d; j++)
        {
            row[j] = (float)(random.NextDouble() * 2 - 1);
        }

        TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
    }

    return data;
}

int Arg(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
