namespace SanReid.Index;

/// <summary>An item to add to the gallery. <see cref="Embedding"/> has the store's dimension and is L2-normalised;
/// <see cref="Image"/> (optional) is the crop to keep beside it, served back by <see cref="GalleryStore.GetImage"/>.</summary>
public sealed record NewGalleryItem(
    float[] Embedding,
    string? ExternalId = null,
    int? CameraId = null,
    string? Label = null,
    DateTimeOffset? CapturedAt = null,
    string? SourceFileName = null,
    GalleryImage? Image = null);

/// <summary>
/// An encoded image kept with a gallery item (the Api stores the uploaded crop, oriented and re-encoded as JPEG). The
/// store keeps the bytes as given, in a table of its own keyed by item id (so loading and scanning embeddings never read
/// them), and deletes them with the item. <see cref="Sha256"/> (64 lowercase hex digits of the bytes) is a strong
/// validator for HTTP caches: ids are not reused, but a new database restarts them, so the id alone is not.
/// </summary>
/// <param name="Bytes">The encoded image, 1..<see cref="MaxBytes"/> bytes (the store does not decode it).</param>
/// <param name="MediaType">Its media type, e.g. "image/jpeg" (1..100 characters).</param>
public sealed record GalleryImage(byte[] Bytes, string MediaType = "image/jpeg")
{
    /// <summary>Largest image the store keeps: 4 MiB (a 256 px tall JPEG crop is about 10 KB).</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>SHA-256 of <see cref="Bytes"/>, lowercase hex.</summary>
    public string Sha256 { get; } = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Bytes));

    /// <exception cref="ArgumentException">Empty or larger than <see cref="MaxBytes"/>, or no media type.</exception>
    internal void Validate(string what, string paramName)
    {
        if (Bytes is null || Bytes.Length == 0 || Bytes.Length > MaxBytes)
        {
            throw new ArgumentException($"{what} has {Bytes?.Length ?? 0} bytes; an image must have 1..{MaxBytes} bytes.", paramName);
        }

        if (string.IsNullOrWhiteSpace(MediaType) || MediaType.Length > 100)
        {
            throw new ArgumentException($"{what} needs a media type of 1..100 characters (e.g. image/jpeg).", paramName);
        }
    }
}

/// <summary>
/// A stored gallery item (metadata; the embedding is returned only by <see cref="GalleryStore.GetEmbedding"/>, the image
/// only by <see cref="GalleryStore.GetImage"/>). <see cref="Id"/> is assigned by the store (SQLite autoincrement, never
/// reused). Times come back in UTC (offset 0), the same instant as given. <see cref="HasImage"/>: an image is stored.
/// </summary>
public sealed record GalleryItem(
    long Id,
    string? ExternalId,
    int? CameraId,
    string? Label,
    DateTimeOffset? CapturedAt,
    DateTimeOffset CreatedAt,
    string? SourceFileName,
    bool HasImage = false);

/// <summary>
/// Filters shared by <see cref="GalleryStore.List"/> and <see cref="GalleryStore.Search"/>. Null = no filter; an empty
/// camera collection is no filter either. Constraints combine with AND. An item without a camera id never passes
/// <see cref="IncludeCameras"/> and always passes <see cref="ExcludeCameras"/>; an item without a capture time never
/// passes a time bound.
/// </summary>
public sealed record GalleryFilter
{
    /// <summary>Only these camera ids.</summary>
    public IReadOnlyCollection<int>? IncludeCameras { get; init; }
    /// <summary>Never these camera ids (e.g. the query's own camera).</summary>
    public IReadOnlyCollection<int>? ExcludeCameras { get; init; }
    /// <summary>Captured at or after (inclusive).</summary>
    public DateTimeOffset? CapturedFrom { get; init; }
    /// <summary>Captured before (exclusive).</summary>
    public DateTimeOffset? CapturedTo { get; init; }
    /// <summary>Exact label match.</summary>
    public string? Label { get; init; }
}

/// <summary>One search hit. <see cref="Score"/> is the inner product of unit vectors (cosine), in [-1, 1].</summary>
public sealed record GalleryMatch(GalleryItem Item, float Score);

/// <summary>A page of items, ordered by id ascending; <see cref="NextAfterId"/> is null on the last page.</summary>
public sealed record GalleryPage(IReadOnlyList<GalleryItem> Items, long Total, long? NextAfterId)
{
    /// <summary>A page from rows read with one row more than <paramref name="limit"/> (ascending ids): the extra row, when
    /// present, is dropped and says there is a next page, which starts after the last id kept. Used by every store backend.</summary>
    public static GalleryPage FromOverfetch(List<GalleryItem> items, long total, int limit)
    {
        long? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Id;
        }

        return new GalleryPage(items, total, next);
    }
}
