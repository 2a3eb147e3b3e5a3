using Prometheus;

namespace SanReid.Api.Services;

/// <summary>
/// The Prometheus metrics of one Api instance, in its own registry (so several servers in one process, as in the
/// tests, do not mix). Served at <c>/metrics</c> together with prometheus-net's HTTP request counts and latency
/// histograms (labels: method, endpoint route, status code).
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
        Ready = Factory.CreateGauge("sanreid_ready", "1 when the model and gallery are loaded, else 0.");
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
    public Gauge Ready { get; }
}
