namespace SanReid.Synthesis;

/// <summary>One synthetic identity: its appearance, its texture and its build.</summary>
/// <param name="Spec">The appearance.</param>
/// <param name="Texture">The 256x256 UV texture painted from <paramref name="Spec"/>.</param>
/// <param name="Shape">The person's build (the same in every image of the identity).</param>
/// <param name="HardNegativeOf">Index of the earlier identity this one copies all colours from, or -1.</param>
public sealed record SynthIdentity(IdentitySpec Spec, RgbImage Texture, BodyShape Shape, int HardNegativeOf);

/// <summary>
/// Generates a list of identities from a master seed. About a fraction of them are hard negatives: copies of the
/// previous identity's colours that differ only in the top's pattern, a front or back print, or the bag.
/// </summary>
public static class IdentityCatalog
{
    /// <summary>Default fraction of identities made as hard negatives of an earlier one.</summary>
    public const double DefaultHardNegativeFraction = 0.2;

    /// <summary>Largest accepted fraction (runs of hard-negative draws are walked back, so they must stay short).</summary>
    public const double MaxHardNegativeFraction = 0.9;

    /// <summary>
    /// Identities <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1 of the catalogue of
    /// <paramref name="seed"/>; identity i is the same whatever range it is generated in.
    /// With <paramref name="plainClothing"/> every identity wears <see cref="IdentitySpec.Plain"/> clothing; a hard
    /// negative then differs from its partner in the bag (a pattern or print difference would vanish).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or index is negative, or the fraction is outside [0, 0.9] (or NaN).</exception>
    public static SynthIdentity[] Create(int seed, int first, int count, double hardNegativeFraction = DefaultHardNegativeFraction, bool plainClothing = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(hardNegativeFraction >= 0 && hardNegativeFraction <= MaxHardNegativeFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(hardNegativeFraction), hardNegativeFraction, $"Must be in [0, {MaxHardNegativeFraction}].");
        }

        var result = new SynthIdentity[count];
        for (int i = 0; i < count; i++)
        {
            int index = first + i;
            Random random = Seeds.For(seed, Seeds.Stream.Identity, index);
            bool hard = IsHardNegative(seed, index, hardNegativeFraction);
            random.NextDouble(); // the hard-negative draw, consumed the same way for every identity
            IdentitySpec spec = hard ? PartnerSpec(seed, index - 1).HardNegative(random) : IdentitySpec.Generate(random);
            if (plainClothing)
            {
                spec = spec.Plain();
                if (hard && spec with { DetailSeed = 0 } == PartnerSpec(seed, index - 1).Plain() with { DetailSeed = 0 })
                {
                    // Own generator, so that the build drawn next is the same as with textures on.
                    spec = spec with { Bag = (BagKind)(((int)spec.Bag + 1 + new Random(spec.DetailSeed).Next(2)) % 3) };
                }
            }

            result[i] = new SynthIdentity(spec, TexturePainter.Paint(spec), BodyShape.Sample(random), hard ? index - 1 : -1);
        }

        return result;
    }

    // Identity i is a hard negative of identity i - 1 when its draw is below the fraction and i - 1 is not itself a
    // hard negative (no chains: a copy of a copy could land back on the original's design). Within a run of low draws
    // starting at s, identities s, s + 2, s + 4, ... are hard negatives; the run is found by walking back.
    private static bool IsHardNegative(int seed, int index, double fraction)
    {
        int start = index;
        while (start >= 1 && Draw(seed, start) < fraction)
        {
            start--;
        }

        // `start` is the last index before the run (its draw is not low, or it is identity 0, which is never hard).
        return index != start && (index - start - 1) % 2 == 0;
    }

    private static double Draw(int seed, int index) => Seeds.For(seed, Seeds.Stream.Identity, index).NextDouble();

    private static IdentitySpec PartnerSpec(int seed, int index)
    {
        Random random = Seeds.For(seed, Seeds.Stream.Identity, index);
        random.NextDouble();
        return IdentitySpec.Generate(random);
    }
}
