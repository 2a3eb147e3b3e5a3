using System.Numerics.Tensors;
using SanReid.Index;

namespace SanReid.ScaleBench;

/// <summary>
/// Deterministic re-ID-shaped unit embeddings, regenerated on demand (never all held in memory): identities in
/// appearance groups (people dressed alike), crops around their identity. With D = 512: an identity centre is its
/// group centre plus noise of norm about 1.4 (two identities of one group: cosine about 0.33; of two groups: about 0);
/// a crop is its identity centre plus noise of norm about 0.58 (two crops of one identity: cosine about 0.75). So
/// cosine within an identity is about 0.6-0.9 and across identities about 0-0.3, as issue 8 asks.
/// Metadata: camera 0-9 uniform, captured_at uniform over 30 days from <see cref="Start"/>, label "L00".."L19".
/// </summary>
internal sealed class ReidLikeData(int dimension, int cropsPerIdentity, int identitiesPerGroup)
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public const int Cameras = 10;
    public const int Labels = 20;
    public static readonly TimeSpan Span = TimeSpan.FromDays(30);

    private readonly float identityNoise = (float)(1.41 / Math.Sqrt(dimension));
    private readonly float cropNoise = (float)(0.58 / Math.Sqrt(dimension));

    public int Dimension { get; } = dimension;

    /// <summary>Crop i: identity i / cropsPerIdentity.</summary>
    public int IdentityOf(long crop) => (int)(crop / cropsPerIdentity);

    public NewGalleryItem Crop(long i)
    {
        var random = new Random(unchecked((int)(0x5EED0000 + i * 7919)));
        float[] v = CropAround(IdentityCentre(IdentityOf(i)), random);
        int camera = random.Next(Cameras);
        var captured = Start + TimeSpan.FromSeconds(random.NextDouble() * Span.TotalSeconds);
        string label = $"L{random.Next(Labels):00}";
        return new NewGalleryItem(v, $"crop-{i}", camera, label, captured);
    }

    /// <summary>A new crop (not stored) of a random stored identity: a query.</summary>
    public float[] Query(int q, int identities)
    {
        var random = new Random(unchecked(0x0BEE0000 + q * 104729));
        return CropAround(IdentityCentre(random.Next(identities)), random);
    }

    private float[] CropAround(float[] centre, Random random)
    {
        var v = new float[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            v[j] = centre[j] + cropNoise * Gaussian(random);
        }

        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    private float[] IdentityCentre(int identity)
    {
        float[] group = GroupCentre(identity / identitiesPerGroup);
        var random = new Random(unchecked(0x1D000000 + identity * 31));
        var v = new float[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            v[j] = group[j] + identityNoise * Gaussian(random);
        }

        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    private float[] GroupCentre(int group)
    {
        var random = new Random(unchecked(0x6A000000 + group * 131));
        var v = new float[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            v[j] = Gaussian(random);
        }

        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    private static float Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
