using System.ComponentModel.DataAnnotations;

namespace SanReid.Api.Options;

/// <summary>
/// <c>SanReid:Model</c>: the ONNX encoder. Relative paths resolve against the repository root (the folder holding
/// SanReid.sln above the content root) when there is one, else against the content root.
/// </summary>
public sealed class ModelOptions
{
    public const string Section = "SanReid:Model";

    /// <summary>ONNX file with the DESIGN.md contract (input <c>images</c> uint8 [N,256,128,3] RGB, output <c>embeddings</c> float32 [N,D]).</summary>
    [Required]
    public string Path { get; set; } = "models/sanreid-resnet18-imagenet.onnx";

    /// <summary>Model card JSON. Default: the model path with <c>.onnx</c> replaced by <c>.card.json</c> (or <c>path + ".card.json"</c>).</summary>
    public string? CardPath { get; set; }

    /// <summary><c>auto</c> (CUDA when it loads, else CPU with a warning), <c>cuda</c> (fail start-up without it) or <c>cpu</c>.</summary>
    [Required]
    [RegularExpression("^(auto|cuda|cpu)$", ErrorMessage = "ExecutionProvider must be auto, cuda or cpu.")]
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>CUDA device ordinal.</summary>
    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 = ONNX Runtime's default (one per physical core).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>Most crops per ONNX Runtime run; larger requests run in several batches.</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 32;
}

/// <summary><c>SanReid:Gallery</c>: where the gallery lives (SanReid.Index GalleryStore).</summary>
public sealed class GalleryOptions
{
    public const string Section = "SanReid:Gallery";

    /// <summary>SQLite database file (created if missing). Relative paths resolve as <see cref="ModelOptions.Path"/>.</summary>
    [Required]
    public string DatabasePath { get; set; } = "data/gallery.db";

    /// <summary>FAISS factory string (inner product): Flat, IVF{n},Flat, HNSW{m}, IVF{n},PQ{m}.</summary>
    [Required]
    [RegularExpression(@"^(Flat|IVF\d+,Flat|HNSW\d+|IVF\d+,PQ\d+)$", ErrorMessage = "IndexFactory must be Flat, IVF{n},Flat, HNSW{m} or IVF{n},PQ{m}.")]
    public string IndexFactory { get; set; } = "Flat";

    /// <summary>Page size of <c>GET /gallery</c> when <c>limit</c> is absent.</summary>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Largest <c>limit</c> of <c>GET /gallery</c>.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;
}

/// <summary><c>SanReid:Limits</c>: what one request may carry.</summary>
public sealed class LimitsOptions
{
    public const string Section = "SanReid:Limits";

    /// <summary>Most images in one multipart request.</summary>
    [Range(1, 10_000)]
    public int MaxImagesPerRequest { get; set; } = 64;

    /// <summary>Largest width x height an image header may declare (checked before decoding). Default 40 MP.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Largest encoded size of one image in bytes. Default 16 MiB.</summary>
    [Range(1, 1L << 32)]
    public long MaxImageBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Largest request body in bytes (Kestrel and multipart limit; more gives 413). Default 64 MiB.</summary>
    [Range(1024, 1L << 34)]
    public long MaxBodyBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary><c>SanReid:Search</c>: k of <c>POST /search</c>.</summary>
public sealed class SearchOptions : IValidatableObject
{
    public const string Section = "SanReid:Search";

    /// <summary>k when the request gives none.</summary>
    [Range(1, 100_000)]
    public int DefaultK { get; set; } = 10;

    /// <summary>Largest accepted k; more gives 400 <c>invalid_k</c>.</summary>
    [Range(1, 100_000)]
    public int MaxK { get; set; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultK > MaxK)
            yield return new ValidationResult($"DefaultK ({DefaultK}) must not exceed MaxK ({MaxK}).", [nameof(DefaultK), nameof(MaxK)]);
    }
}
