using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Imaging;
using SanReid.Inference;

namespace SanReid.Api.Services;

/// <summary>
/// Dynamic micro-batching in front of <see cref="OnnxEmbedder"/>. Each request queues its crops (a bounded
/// <see cref="Channel{T}"/>) and then tries to become the leader (one at a time). The leader takes the first queued
/// request, keeps taking requests until <see cref="BatchingOptions.MaxBatchSize"/> crops are gathered or
/// <see cref="BatchingOptions.MaxWaitMilliseconds"/> have passed, runs them as one ONNX Runtime run on its own thread
/// and hands each request its own rows, in order. The others wait for their rows. A leader runs one batch; if more
/// requests are queued it passes the leadership to a thread-pool work item, so its own response is not held up. A
/// lone request thus runs on its own thread with no hand-off (no extra latency beyond the wait). The graph is in eval mode (BatchNorm uses running statistics), so an embedding does not depend on what else
/// is in its run. With <see cref="BatchingOptions.Enabled"/> false every request runs on its own thread.
/// Singleton; Dispose fails the requests still queued with <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class EmbeddingBatcher : IDisposable
{
    private sealed record Job(IReadOnlyList<RgbCrop> Crops, TaskCompletionSource<float[][]> Done, long EnqueuedAt);

    private readonly BatchingOptions _options;
    private readonly ApiMetrics _metrics;
    private readonly Channel<Job> _queue;
    private int _leading; // 1 while some thread collects and runs a batch

    public EmbeddingBatcher(OnnxEmbedder embedder, IOptions<BatchingOptions> options, ApiMetrics metrics)
    {
        Embedder = embedder;
        _options = options.Value;
        _metrics = metrics;
        _queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = false, // successive leaders read; a timed-out WaitToReadAsync may stay pending
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The model the batches run on.</summary>
    public OnnxEmbedder Embedder { get; }

    /// <summary>
    /// Embeds <paramref name="crops"/> (model-sized, as <see cref="CropDecoder.DecodeAndResize"/> gives), possibly in one run
    /// with other requests' crops. Returns one unit-norm D-vector per crop, in order.
    /// </summary>
    /// <exception cref="ArgumentException">A crop of the wrong size.</exception>
    /// <exception cref="InvalidOperationException">The model returned a wrong shape or non-finite values.</exception>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<RgbCrop> crops, CancellationToken cancellationToken = default)
    {
        if (crops.Count == 0)
            return [];
        // Checked here, so one request's bad crop cannot fail the other requests of its run.
        Embedder.CheckCrops(crops);
        if (!_options.Enabled)
            return Run(crops);
        var job = new Job(crops, new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp());
        await _queue.Writer.WriteAsync(job, cancellationToken);
        if (TryRunOneBatch() && _queue.Reader.TryPeek(out _))
            ThreadPool.UnsafeQueueUserWorkItem(_ => RunPending(), null);
        return await job.Done.Task;
    }

    private float[][] Run(IReadOnlyList<RgbCrop> crops)
    {
        long start = Stopwatch.GetTimestamp();
        var result = Embedder.Embed(crops);
        _metrics.InferenceSeconds.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        _metrics.BatchSize.Observe(crops.Count);
        _metrics.CropsEmbedded.Inc(crops.Count);
        return result;
    }

    // Leads batches until the queue is empty (a thread-pool work item started by a leader that left requests queued).
    private void RunPending()
    {
        while (_queue.Reader.TryPeek(out _) && TryRunOneBatch())
        {
        }
    }

    // If no other thread leads: collect one batch, run it, stop leading. False when another thread leads (it, or the
    // work item it starts, will run what is queued: a leader checks the queue after it stops leading).
    private bool TryRunOneBatch()
    {
        if (Interlocked.CompareExchange(ref _leading, 1, 0) != 0)
            return false;
        try
        {
            var jobs = Collect();
            if (jobs.Count > 0)
                RunJobs(jobs, jobs.Sum(j => j.Crops.Count));
        }
        finally
        {
            Volatile.Write(ref _leading, 0);
        }
        return true;
    }

    private List<Job> Collect()
    {
        var reader = _queue.Reader;
        var jobs = new List<Job>();
        if (!reader.TryRead(out var first))
            return jobs;
        jobs.Add(first);
        int count = first.Crops.Count;
        long deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWaitMilliseconds / 1000.0 * Stopwatch.Frequency);
        while (count < _options.MaxBatchSize)
        {
            if (reader.TryPeek(out var next))
            {
                if (count + next.Crops.Count > _options.MaxBatchSize)
                    break; // leave it for the next batch rather than exceed the batch size
                reader.TryRead(out _);
                jobs.Add(next);
                count += next.Crops.Count;
                continue;
            }
            long remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
                break;
            // Wait for the next request, but no longer than the deadline.
            var more = reader.WaitToReadAsync().AsTask();
            if (!more.Wait(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency)) || !more.Result)
                break;
        }
        return jobs;
    }

    private void RunJobs(List<Job> jobs, int count)
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var job in jobs)
            _metrics.QueueWaitSeconds.Observe(Stopwatch.GetElapsedTime(job.EnqueuedAt, now).TotalSeconds);
        try
        {
            var all = jobs.Count == 1 ? jobs[0].Crops : jobs.SelectMany(j => j.Crops).ToList();
            var rows = Run(all);
            int offset = 0;
            foreach (var job in jobs)
            {
                job.Done.TrySetResult(rows[offset..(offset + job.Crops.Count)]);
                offset += job.Crops.Count;
            }
        }
        catch (Exception e)
        {
            foreach (var job in jobs)
                job.Done.TrySetException(e);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var left))
            left.Done.TrySetException(new ObjectDisposedException(nameof(EmbeddingBatcher)));
    }
}
