using System.Runtime.CompilerServices;

namespace SanReid.Index;

/// <summary>
/// In-memory copy of what filters need for every stored item (id, camera, capture time, label, alive), by position in
/// the <see cref="VectorArena"/>, so a search never asks SQLite which items qualify. Filters are evaluated by one pass
/// over these arrays (about 1-3 ms per million items) and become either a list of positions (small selections, scored
/// exactly) or a bitmap by item id for FAISS's IDSelectorBitmap.
/// </summary>
/// <remarks>Positions of deleted items are reused by later adds (free list), except while an index build reads the
/// arena (<see cref="FreezeReuse"/>). Not thread-safe: the store reads it under its read lock and writes it under its
/// write lock. Memory: about 30 bytes per item plus an id bitmap of maxId / 8 bytes.</remarks>
internal sealed class GalleryCatalog
{
    private const int NoCamera = int.MinValue;
    private const long NoTime = long.MinValue;
    private const int NoLabel = -1;

    private readonly Dictionary<long, int> positionOfId = [];
    private readonly Dictionary<string, int> labelIds = new(StringComparer.Ordinal);
    private readonly Stack<int> free = new();
    // Positions by camera (invariant: every allocated position is in exactly the list of cameras[p], dead or alive), so
    // a filter naming cameras reads only their items; mostly ascending (appends), so the columns are read in order.
    private readonly Dictionary<int, List<int>> byCamera = [];
    private int[] slotInCameraList = new int[1024];
    private long[] ids = new long[1024];
    private int[] cameras = new int[1024];
    private long[] captured = new long[1024];
    private int[] labels = new int[1024];
    private bool[] alive = new bool[1024];
    private byte[] aliveBitmap = new byte[128];
    private int rows;

    /// <summary>Live items.</summary>
    public int Count => positionOfId.Count;

    /// <summary>Positions allocated (live or free).</summary>
    public int Rows => rows;

    /// <summary>Largest id ever recorded (0 when none).</summary>
    public long MaxId { get; private set; }

    /// <summary>While true, <see cref="NextPosition"/> appends instead of reusing freed positions.</summary>
    public bool FreezeReuse { get; set; }

    /// <summary>A bitmap by item id of the live items (bit id % 8 of byte id / 8); read-only to callers.</summary>
    public byte[] AliveBitmap => aliveBitmap;

    public long IdAt(int position) => ids[position];

    public bool IsAlive(int position) => alive[position];

    public bool TryGetPosition(long id, out int position) => positionOfId.TryGetValue(id, out position);

    /// <summary>The position the next added item takes: a freed one, or <see cref="Rows"/> (append).</summary>
    public int NextPosition() => !FreezeReuse && free.Count > 0 ? free.Peek() : rows;

    /// <summary>Records an item at <paramref name="position"/> (from <see cref="NextPosition"/>).</summary>
    public void Put(int position, long id, int? camera, DateTimeOffset? capturedAt, string? label)
    {
        bool reusedPosition = position != rows;
        if (position == rows)
        {
            Grow(rows + 1);
            rows++;
        }
        else
        {
            int reused = free.Pop();
            if (reused != position)
            {
                throw new InvalidOperationException($"Position {position} is not the next free one ({reused}).");
            }
        }

        int newCamera = camera ?? NoCamera;
        if (!reusedPosition)
        {
            AddToCameraList(position, newCamera);
        }
        else if (cameras[position] != newCamera)
        {
            RemoveFromCameraList(position, cameras[position]);
            AddToCameraList(position, newCamera);
        }

        ids[position] = id;
        cameras[position] = newCamera;
        captured[position] = capturedAt?.UtcTicks ?? NoTime;
        labels[position] = label is null ? NoLabel : LabelId(label);
        alive[position] = true;
        positionOfId[id] = position;
        MaxId = Math.Max(MaxId, id);
        SetBit(ref aliveBitmap, id, true);
    }

    /// <summary>Marks an item deleted and frees its position; false when the id is not live.</summary>
    public bool Remove(long id)
    {
        if (!positionOfId.Remove(id, out int position))
        {
            return false;
        }

        alive[position] = false;
        free.Push(position);
        SetBit(ref aliveBitmap, id, false);
        return true;
    }

    /// <summary>Positions of live items, ascending.</summary>
    public int[] AlivePositions()
    {
        var result = new int[Count];
        int n = 0;
        for (int p = 0; p < rows; p++)
        {
            if (alive[p])
            {
                result[n++] = p;
            }
        }

        return result;
    }

    /// <summary>Positions of the live items that pass <paramref name="filter"/> (same rules as the SQL filter of
    /// <see cref="GalleryDatabase.Where"/>: camera include never passes a missing camera, exclude always does; a time
    /// bound never passes a missing time; label is exact).</summary>
    public int[] Select(GalleryFilter filter) => Evaluate(filter, int.MaxValue, bitmap: false).Positions!;

    /// <summary>
    /// One pass over the live items: how many pass <paramref name="filter"/>, their positions when at most
    /// <paramref name="positionLimit"/> pass, and (with <paramref name="bitmap"/>) a bitmap by id of all of them for
    /// FAISS's IDSelectorBitmap. Cost: about 1-2 ns per stored item plus maxId / 8 bytes for the bitmap.
    /// </summary>
    public Selection Evaluate(GalleryFilter filter, int positionLimit, bool bitmap)
    {
        HashSet<int>? include = filter.IncludeCameras is { Count: > 0 } i ? [.. i] : null;
        HashSet<int>? exclude = filter.ExcludeCameras is { Count: > 0 } e ? [.. e] : null;
        long from = filter.CapturedFrom?.UtcTicks ?? long.MinValue;
        long to = filter.CapturedTo?.UtcTicks ?? long.MaxValue;
        bool timed = filter.CapturedFrom is not null || filter.CapturedTo is not null;
        int label = NoLabel;
        if (filter.Label is { } text && !labelIds.TryGetValue(text, out label))
        {
            return new Selection(0, [], null);
        }

        bool labelled = filter.Label is not null;
        // Cameras 0..63 (the usual case) are tested against a 64-bit mask instead of a set lookup per item.
        ulong includeMask = 0, excludeMask = 0;
        bool includeByMask = include is null || include.All(c => c is >= 0 and < 64);
        bool excludeByMask = exclude is null || exclude.All(c => c is >= 0 and < 64);
        foreach (int c in include ?? [])
        {
            includeMask |= c is >= 0 and < 64 ? 1UL << c : 0;
        }

        foreach (int c in exclude ?? [])
        {
            excludeMask |= c is >= 0 and < 64 ? 1UL << c : 0;
        }

        byte[]? bits = bitmap ? new byte[MaxId / 8 + 1] : null;
        var positions = new List<int>(Math.Min(positionLimit, 1024));
        int count = 0;
        long[] idOf = ids;
        int[] cameraOf = cameras;
        long[] capturedOf = captured;
        int[] labelOf = labels;
        bool[] aliveAt = alive;
        // A filter naming cameras reads only those cameras' positions (each position is in exactly the list of its
        // camera, so none is seen twice) when they are under a third of all: one camera of ten read 1M rows' filter
        // fields in 1.7 ms of CPU instead of 3.5. More than that is cheaper as one pass in order over every position.
        long listed = include?.Sum(c => (long)(byCamera.GetValueOrDefault(c)?.Count ?? 0)) ?? long.MaxValue;
        if (listed > rows / 3)
        {
            for (int p = 0; p < rows; p++)
            {
                Consider(p);
            }
        }
        else
        {
            foreach (int c in include!)
            {
                if (byCamera.TryGetValue(c, out List<int>? list))
                {
                    foreach (int p in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list))
                    {
                        Consider(p);
                    }
                }
            }
        }

        void Consider(int p)
        {
            if (!aliveAt[p])
            {
                return;
            }

            if (timed)
            {
                long t = capturedOf[p];
                if (t == NoTime || t < from || t >= to)
                {
                    return;
                }
            }

            if (labelled && labelOf[p] != label)
            {
                return;
            }

            int camera = cameraOf[p];
            if (include is not null && (camera == NoCamera || (listed > rows / 3
                && !(includeByMask ? (uint)camera < 64 && (includeMask & (1UL << camera)) != 0 : include.Contains(camera)))))
            {
                return;
            }

            if (exclude is not null && camera != NoCamera)
            {
                bool excluded = excludeByMask ? (uint)camera < 64 && (excludeMask & (1UL << camera)) != 0 : exclude.Contains(camera);
                if (excluded)
                {
                    return;
                }
            }

            count++;
            if (count <= positionLimit)
            {
                positions.Add(p);
            }

            if (bits is not null)
            {
                long id = idOf[p];
                bits[id >> 3] |= (byte)(1 << (int)(id & 7));
            }
        }

        return new Selection(count, count <= positionLimit ? [.. positions] : null, bits);
    }

    /// <summary>What <see cref="Evaluate"/> found: the count, the positions (null when more than the limit passed), the
    /// id bitmap (null when not asked for).</summary>
    public sealed record Selection(int Count, int[]? Positions, byte[]? Bitmap);

    /// <summary>A bitmap by item id of the given positions' items, sized to <see cref="MaxId"/>.</summary>
    public byte[] BitmapOf(int[] positions)
    {
        var bitmap = new byte[MaxId / 8 + 1];
        foreach (int p in positions)
        {
            long id = ids[p];
            bitmap[id >> 3] |= (byte)(1 << (int)(id & 7));
        }

        return bitmap;
    }

    /// <summary>Estimated bytes held (arrays and dictionaries).</summary>
    public long Bytes => (long)ids.Length * (8 + 4 + 8 + 4 + 1) + aliveBitmap.Length + positionOfId.Count * 24L;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetBit(ref byte[] bitmap, long id, bool value)
    {
        long at = id >> 3;
        if (at >= bitmap.Length)
        {
            Array.Resize(ref bitmap, (int)Math.Max(at + 1, bitmap.Length * 2L));
        }

        byte mask = (byte)(1 << (int)(id & 7));
        bitmap[at] = value ? (byte)(bitmap[at] | mask) : (byte)(bitmap[at] & ~mask);
    }

    private int LabelId(string label)
    {
        if (!labelIds.TryGetValue(label, out int id))
        {
            id = labelIds.Count;
            labelIds[label] = id;
        }

        return id;
    }

    private void Grow(int needed)
    {
        if (needed <= ids.Length)
        {
            return;
        }

        int size = Math.Max(needed, ids.Length * 2);
        Array.Resize(ref ids, size);
        Array.Resize(ref cameras, size);
        Array.Resize(ref captured, size);
        Array.Resize(ref labels, size);
        Array.Resize(ref alive, size);
        Array.Resize(ref slotInCameraList, size);
    }

    private void AddToCameraList(int position, int camera)
    {
        if (!byCamera.TryGetValue(camera, out List<int>? list))
        {
            byCamera[camera] = list = [];
        }

        slotInCameraList[position] = list.Count;
        list.Add(position);
    }

    private void RemoveFromCameraList(int position, int camera)
    {
        // Swap with the last entry: O(1); only reused positions are moved, so the lists stay mostly ascending.
        List<int> list = byCamera[camera];
        int slot = slotInCameraList[position];
        int last = list[^1];
        list[slot] = last;
        slotInCameraList[last] = slot;
        list.RemoveAt(list.Count - 1);
    }
}
