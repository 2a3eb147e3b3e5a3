namespace SanReid.Index;

/// <summary>
/// Micro-batching of concurrent unfiltered searches: callers that arrive while a FAISS call is running queue their
/// query; when it returns, one of them (the leader) takes every queued query (up to <see cref="MaxBatch"/>) into one
/// FAISS batch call (BLAS for the coarse quantizer / Flat scan, OpenMP across queries) and hands each caller its row.
/// No thread of its own and no added wait: a lone query runs at once, as before.
/// </summary>
internal sealed class SearchBatcher
{
    /// <summary>Most queries in one FAISS call.</summary>
    public const int MaxBatch = 64;

    private readonly Lock gate = new();
    private readonly List<Pending> queue = [];
    private bool running;

    /// <summary>Queries answered so far and FAISS calls made for them (mean batch = ratio).</summary>
    public long Queries { get; private set; }

    public long Calls { get; private set; }

    /// <summary>Top <paramref name="k"/> for one query (D floats) in <paramref name="index"/>, possibly inside a batch
    /// with other callers' queries to the same index.</summary>
    public FaissHit[] Search(FaissIndex index, float[] query, int k)
    {
        var pending = new Pending(index, query, k);
        bool leader;
        lock (gate)
        {
            queue.Add(pending);
            leader = !running;
            running = true;
        }

        if (!leader)
        {
            // Woken either with a result, or promoted to lead the next batch (which holds this query).
            pending.Done.Wait();
            if (pending.Result is not null || pending.Error is not null)
            {
                return pending.Result ?? throw pending.Error!;
            }
        }

        List<Pending> batch;
        lock (gate)
        {
            // Queries to one index per call (callers hold the store's read lock, so all see the same index in practice).
            FaissIndex target = queue[0].Index;
            batch = [.. queue.Where(p => p.Index == target).Take(MaxBatch)];
            queue.RemoveAll(batch.Contains);
            Queries += batch.Count;
            Calls++;
        }

        Run(batch);
        lock (gate)
        {
            if (queue.Count == 0)
            {
                running = false;
            }
            else
            {
                // The next batch is led by its first waiter, so no caller serves others' queries for long.
                queue[0].Done.Set();
            }
        }

        return pending.Result ?? throw pending.Error!;
    }

    private void Run(List<Pending> batch)
    {
        try
        {
            int d = batch[0].Query.Length;
            int k = batch.Max(p => p.K);
            var queries = new float[batch.Count * d];
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Query.CopyTo(queries, i * d);
            }

            FaissHit[][] hits = batch[0].Index.SearchBitmap(queries, k, null);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Result = hits[i].Length > batch[i].K ? hits[i][..batch[i].K] : hits[i];
            }
        }
        catch (Exception e)
        {
            foreach (Pending p in batch)
            {
                p.Error = e;
            }
        }
        finally
        {
            foreach (Pending p in batch)
            {
                p.Done.Set();
            }
        }
    }

    private sealed class Pending(FaissIndex index, float[] query, int k)
    {
        public FaissIndex Index { get; } = index;
        public float[] Query { get; } = query;
        public int K { get; } = k;
        public FaissHit[]? Result { get; set; }
        public Exception? Error { get; set; }
        public ManualResetEventSlim Done { get; } = new(false);
    }
}
