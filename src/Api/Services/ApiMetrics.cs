using Prometheus;

namespace SanReid.Api.Services;

/// <summary>
/// The Prometheus metrics of one Api instance, in its own registry (so several servers in one process, as in the
/// tests, do not mix). Served at <c>/metrics</c> together with prometheus-net's HTTP request counts and latency
/// histograms (labels: method, endpoint route, status code) and the process / .NET runtime figures (resident memory, GC
/// heap, threads, open handles, thread-pool queue length).
/// </summary>
public sealed class ApiMetrics
{
    public ApiMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        Factory = Metrics.WithCustomRegistry(Registry);
        BatchSize = Factory.CreateHistogram("sanreid_inference_batch_size", "Crops per ONNX Runtime run.",
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        InferenceSeconds = Factory.CreateHistogram("sanreid_inference_seconds", "Wall time of one ONNX Runtime run (all its crops), seconds.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.002, 2, 14) });
        QueueWaitSeconds = Factory.CreateHistogram("sanreid_batch_queue_wait_seconds", "Time a request's crops waited for their run, seconds.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        CropsEmbedded = Factory.CreateCounter("sanreid_crops_embedded_total", "Crops embedded.");
        GallerySize = Factory.CreateGauge("sanreid_gallery_items", "Items in the gallery.");
        Rejected = Factory.CreateCounter("sanreid_rejected_requests_total", "Requests answered 4xx, by error code.",
            new CounterConfiguration { LabelNames = ["code"] });
        ServerErrors = Factory.CreateCounter("sanreid_server_errors_total",
            "Requests answered 5xx, by error code (internal_error: a fault of the server, logged at error level with the request id).",
            new CounterConfiguration { LabelNames = ["code"] });
        Ready = Factory.CreateGauge("sanreid_ready", "1 when the model and gallery are loaded, else 0.");

        // Process and runtime figures beside ours. prometheus-net's default collectors, here in this registry (DotNetStats):
        // process_working_set_bytes, process_private_memory_bytes, process_virtual_memory_bytes, process_open_handles,
        // process_num_threads, process_cpu_seconds_total, process_start_time_seconds, dotnet_total_memory_bytes,
        // dotnet_collection_count_total. The rest are read from the runtime at each scrape (prometheus-net 8.2's meter
        // adapter publishes no values for the runtime's own System.Runtime meter in this set-up).
        DotNetStats.Register(Registry);
        var resident = Factory.CreateGauge("process_resident_memory_bytes",
            "Resident memory of the process in bytes (Environment.WorkingSet: RSS on Linux); the Prometheus client convention's name.");
        var openFds = Factory.CreateGauge("process_open_fds",
            "Open file descriptors of the process (Process.HandleCount: the entries of /proc/self/fd on Linux); the Prometheus client convention's name.");
        var heap = Factory.CreateGauge("dotnet_gc_heap_size_bytes",
            "Bytes of the GC heap at the last collection, fragmentation included (GC.GetGCMemoryInfo().HeapSizeBytes).");
        var committed = Factory.CreateGauge("dotnet_gc_committed_bytes",
            "Bytes of memory the GC has committed (GC.GetGCMemoryInfo().TotalCommittedBytes).");
        var queue = Factory.CreateGauge("dotnet_thread_pool_queue_length",
            "Work items queued to the .NET thread pool and not yet started (ThreadPool.PendingWorkItemCount).");
        var poolThreads = Factory.CreateGauge("dotnet_thread_pool_thread_count", "Threads of the .NET thread pool (ThreadPool.ThreadCount).");
        var completed = Factory.CreateGauge("dotnet_thread_pool_completed_items",
            "Work items the .NET thread pool has completed since the process started (ThreadPool.CompletedWorkItemCount).");
        Registry.AddBeforeCollectCallback(() =>
        {
            var gc = GC.GetGCMemoryInfo();
            resident.Set(Environment.WorkingSet);
            using (var process = System.Diagnostics.Process.GetCurrentProcess())
                openFds.Set(process.HandleCount);
            heap.Set(gc.HeapSizeBytes);
            committed.Set(gc.TotalCommittedBytes);
            queue.Set(ThreadPool.PendingWorkItemCount);
            poolThreads.Set(ThreadPool.ThreadCount);
            completed.Set(ThreadPool.CompletedWorkItemCount);
        });
    }

    /// <summary>This instance's registry (served at /metrics).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Creates metrics in <see cref="Registry"/>.</summary>
    public IMetricFactory Factory { get; }

    public Histogram BatchSize { get; }
    public Histogram InferenceSeconds { get; }
    public Histogram QueueWaitSeconds { get; }
    public Counter CropsEmbedded { get; }
    public Gauge GallerySize { get; }
    public Counter Rejected { get; }
    public Counter ServerErrors { get; }
    public Gauge Ready { get; }
}
