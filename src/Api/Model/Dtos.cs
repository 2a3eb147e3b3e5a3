using SanReid.Index;

namespace SanReid.Api.Model;

/// <summary>One embedded image: the upload's file name and its D floats (unit L2 norm).</summary>
public sealed record EmbeddingResult(string FileName, float[] Embedding);

/// <summary>Response of <c>POST /api/v1/embeddings</c>, items in upload order.</summary>
public sealed record EmbeddingsResponse(string Model, int Dimension, int Count, IReadOnlyList<EmbeddingResult> Items);

/// <summary>A gallery item's metadata (JSON snake_case); <see cref="ImageUrl"/>: its stored crop, or null when none.</summary>
public sealed record GalleryItemResponse(
    long Id, string? ExternalId, int? CameraId, string? Label, DateTimeOffset? CapturedAt, DateTimeOffset CreatedAt, string? FileName,
    string? ImageUrl)
{
    public static GalleryItemResponse From(GalleryItem item) =>
        new(item.Id, item.ExternalId, item.CameraId, item.Label, item.CapturedAt, item.CreatedAt, item.SourceFileName,
            ImageUrls.For(item));
}

/// <summary>Where an item's stored crop is served (<c>GET /api/v1/gallery/{id}/image</c>), root-relative.</summary>
public static class ImageUrls
{
    /// <summary>The URL of the item's image, or null when it has none.</summary>
    public static string? For(GalleryItem item) => item.HasImage ? $"/api/v1/gallery/{item.Id}/image" : null;
}

/// <summary>Response of <c>POST /api/v1/gallery</c>: the new items in upload order.</summary>
public sealed record GalleryAddResponse(int Count, IReadOnlyList<GalleryItemResponse> Items);

/// <summary>A page of <c>GET /api/v1/gallery</c>: ids ascending; pass <see cref="NextAfterId"/> as <c>after_id</c> for the next page (null on the last).</summary>
public sealed record GalleryPageResponse(long Total, int Count, long? NextAfterId, IReadOnlyList<GalleryItemResponse> Items);

/// <summary>One search hit: cosine score in [-1, 1] (inner product of unit vectors) and the item's metadata;
/// <see cref="ImageUrl"/>: its stored crop, or null when none; with <c>rerank=true</c> also its k-reciprocal distance in
/// [0, 1] (smaller is better), by which the matches are then ordered.</summary>
public sealed record SearchMatch(
    int Rank, long Id, float Score, string? ExternalId, int? CameraId, string? Label, DateTimeOffset? CapturedAt,
    DateTimeOffset CreatedAt, string? FileName, string? ImageUrl, float? RerankDistance = null);

/// <summary>Response of <c>POST /api/v1/search</c>: matches by score, descending; with <c>rerank=true</c> by re-ranked
/// distance, ascending, and <see cref="RerankCandidates"/> says how many cosine hits were re-ranked (null otherwise).</summary>
public sealed record SearchResponse(
    string QueryFileName, int K, int Count, long GallerySize, IReadOnlyList<SearchMatch> Matches, int? RerankCandidates = null);

/// <summary>A tensor of the model's signature (-1 = dynamic).</summary>
public sealed record TensorInfo(string Name, string ElementType, IReadOnlyList<int> Shape);

/// <summary>Response of <c>GET /api/v1/model</c>. <c>Precision</c> is the card's "fp32" or "int8" (an int8 card also
/// holds <c>quantization</c>: calibration set and agreement figures, and <c>embedding_space</c> when it may share the
/// fp32 model's gallery). <c>FlipTta</c> is the model's <c>flip_tta</c> metadata: true when the graph itself averages each
/// crop's embedding with its horizontal mirror's (<c>sanreid-train export --flip</c>; two forward passes per crop); false
/// for a model without the key.</summary>
public sealed record ModelResponse(
    string FileName,
    string ExecutionProvider,
    string? ProviderNote,
    int Dimension,
    TensorInfo Input,
    TensorInfo Output,
    string ProducerName,
    string GraphName,
    string Description,
    long? Version,
    IReadOnlyDictionary<string, string> Metadata,
    System.Text.Json.JsonElement? Card,
    string Precision,
    bool FlipTta);
