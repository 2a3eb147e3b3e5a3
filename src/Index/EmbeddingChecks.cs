using System.Numerics.Tensors;

namespace SanReid.Index;

/// <summary>The unit-vector contract of stored embeddings and queries (DESIGN.md: the model emits L2-normalised
/// float32 vectors).</summary>
internal static class EmbeddingChecks
{
    /// <summary>Largest deviation from 1 allowed in an embedding's L2 norm.</summary>
    public const float NormTolerance = 1e-3f;

    /// <summary>Norm deviation below which a vector is stored as given (float32 normalisation leaves a few ulps).</summary>
    private const float RenormaliseAbove = 1e-6f;

    /// <summary>Scales a finite, nearly unit vector to unit L2 norm, so inner products of stored vectors never exceed 1
    /// by more than float rounding; vectors already within 1e-6 of 1 are left bit-identical.</summary>
    public static void Renormalise(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (Math.Abs(norm - 1f) > RenormaliseAbove && norm > 0f)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <exception cref="ArgumentException">Wrong length, a non-finite value, or L2 norm off 1 by more than
    /// <see cref="NormTolerance"/>.</exception>
    public static void Validate(ReadOnlySpan<float> embedding, int dimension, string what, string parameterName)
    {
        if (embedding.Length != dimension)
        {
            throw new ArgumentException($"{what} has {embedding.Length} values; the gallery stores {dimension}-dimensional embeddings.", parameterName);
        }

        foreach (float value in embedding)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"{what} contains a non-finite value ({value}).", parameterName);
            }
        }

        float norm = TensorPrimitives.Norm(embedding);
        if (Math.Abs(norm - 1f) > NormTolerance)
        {
            throw new ArgumentException(
                $"{what} has L2 norm {norm}; the gallery stores unit vectors (score = inner product = cosine).", parameterName);
        }
    }
}
