using System.Numerics.Tensors;

namespace SanReid.Index;

/// <summary>
/// The store's one in-memory float32 copy of every embedding, addressed by catalog position (row). Rows live in
/// fixed-size chunks that are never moved or copied once allocated, so a row span stays valid while the arena grows and
/// a background reader (an index build) can read rows while an add appends others.
/// </summary>
/// <remarks>Memory: rows x D x 4 bytes plus at most one partly used chunk. Not thread-safe for writers; readers of
/// rows below <see cref="Rows"/> may run beside one writer (the store serialises writers).</remarks>
internal sealed class VectorArena(int dimension)
{
    /// <summary>Rows per chunk: 4,096 x 512 x 4 B = 8 MiB, far below the large-object limits, small enough to waste little.</summary>
    public const int ChunkRows = 4096;

    private float[][] chunks = [];
    private volatile int rows;

    public int Dimension { get; } = dimension;

    /// <summary>Rows allocated (live or free).</summary>
    public int Rows => rows;

    /// <summary>Bytes held by the chunks.</summary>
    public long Bytes => (long)chunks.Length * ChunkRows * Dimension * sizeof(float);

    /// <summary>The row's D values.</summary>
    public Span<float> Row(int position) =>
        chunks[position / ChunkRows].AsSpan(position % ChunkRows * Dimension, Dimension);

    /// <summary>Appends a row and returns its position.</summary>
    public int Append(ReadOnlySpan<float> vector)
    {
        int position = rows;
        if (position / ChunkRows >= chunks.Length)
        {
            var grown = new float[chunks.Length + 1][];
            Array.Copy(chunks, grown, chunks.Length);
            grown[^1] = new float[ChunkRows * Dimension];
            chunks = grown; // readers holding the old array still see the same chunks
        }

        vector.CopyTo(Row(position));
        rows = position + 1;
        return position;
    }

    /// <summary>Overwrites a (free) row.</summary>
    public void Set(int position, ReadOnlySpan<float> vector) => vector.CopyTo(Row(position));

    /// <summary>Inner product of <paramref name="query"/> with a row (TensorPrimitives: AVX-512 / AVX2 where the CPU has it).</summary>
    public float Dot(ReadOnlySpan<float> query, int position) => TensorPrimitives.Dot(query, Row(position));
}
