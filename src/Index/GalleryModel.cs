namespace SanReid.Index;

/// <summary>An item to add to the gallery. <see cref="Embedding"/> has the store's dimension and is L2-normalised.</summary>
public sealed record NewGalleryItem(
    float[] Embedding,
    string? ExternalId = null,
    int? CameraId = null,
    string? Label = null,
    DateTimeOffset? CapturedAt = null,
    string? SourceFileName = null);

/// <summary>
/// A stored gallery item (metadata; the embedding is returned only by <see cref="GalleryStore.GetEmbedding"/>).
/// <see cref="Id"/> is assigned by the store (SQLite autoincrement, never reused). Times come back in UTC (offset 0),
/// the same instant as given.
/// </summary>
public sealed record GalleryItem(
    long Id,
    string? ExternalId,
    int? CameraId,
    string? Label,
    DateTimeOffset? CapturedAt,
    DateTimeOffset CreatedAt,
    string? SourceFileName);

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
