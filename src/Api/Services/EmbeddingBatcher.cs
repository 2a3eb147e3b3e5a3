using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SanReid.Api.Options;
using SanReid.Imaging;

namespace SanReid.Api.Services;

/// <summary>
/// Dynamic micro-batching in front of <see cref="OnnxEmbedder"/>. Each request queues its crops (a bounded
/// <see cref="Channel{T}"/>); one worker takes the first queued request, keeps taking requests until
/// <see cref="BatchingOptions.MaxBatchSize"/> crops are gathered or <see cref="BatchingOptions.MaxWaitMilliseconds"/>
/// have passed since it took the first, runs them as one ONNX Runtime run and hands each request its own rows, in
/// order. The graph is in eval mode (BatchNorm uses running statistics), so an embedding does not depend on what else
/// is in its run. With <see cref="BatchingOptions.Enabled"/> false every request runs on its own thread.
/// Singleton; Dispose stops the worker (queued requests fail with <see cref="ObjectDisposedException"/>).
/// </summary>
public sealed class EmbeddingBatcher : IDisposable
{
    private sealed record Job(IReadOnlyList<RgbCrop> Crops, TaskCompletionSource<float[][]> Done, long EnqueuedAt);

    private readonly BatchingOptions _options;
    private readonly ApiMetrics _metrics;
    private readonly Channel<Job> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task? _worker;

    public EmbeddingBatcher(OnnxEmbedder embedder, IOptions<BatchingOptions> options, ApiMetrics metrics)
    {
        Embedder = embedder;
        _options = options.Value;
        _metrics = metrics;
        _queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        if (_options.Enabled)
            _worker = Task.Run(WorkAsync);
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
        foreach (var crop in crops)
        {
            if (crop.Height != Embedder.Height || crop.Width != Embedder.Width || crop.Pixels.Length != crop.Height * crop.Width * 3)
                throw new ArgumentException($"Crop is {crop.Height}x{crop.Width}; the model takes {Embedder.Height}x{Embedder.Width} RGB.", nameof(crops));
        }
        if (!_options.Enabled)
            return Run(crops);
        var job = new Job(crops, new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp());
        await _queue.Writer.WriteAsync(job, cancellationToken);
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

    private async Task WorkAsync()
    {
        var reader = _queue.Reader;
        var maxWait = TimeSpan.FromMilliseconds(_options.MaxWaitMilliseconds);
        var jobs = new List<Job>();
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                if (!reader.TryRead(out var first))
                    continue;
                jobs.Clear();
                jobs.Add(first);
                int count = first.Crops.Count;
                long deadline = Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
                while (count < _options.MaxBatchSize)
                {
                    if (reader.TryPeek(out var next))
                    {
                        if (count + next.Crops.Count > _options.MaxBatchSize)
                            break; // leave it for the next run rather than exceed the batch size
                        reader.TryRead(out _);
                        jobs.Add(next);
                        count += next.Crops.Count;
                        continue;
                    }
                    var remaining = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
                    if (remaining <= TimeSpan.Zero)
                        break;
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    wait.CancelAfter(remaining);
                    try
                    {
                        if (!await reader.WaitToReadAsync(wait.Token))
                            break;
                    }
                    catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                    {
                        break; // waited long enough
                    }
                }
                RunJobs(jobs, count);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        while (reader.TryRead(out var left))
            left.Done.TrySetException(new ObjectDisposedException(nameof(EmbeddingBatcher)));
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
        _stop.Cancel();
        try { _worker?.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
