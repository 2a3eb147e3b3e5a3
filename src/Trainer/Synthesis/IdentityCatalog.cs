namespace SanReid.Trainer.Synthesis;

/// <summary>One synthetic identity: its appearance, its texture and its build.</summary>
/// <param name="Spec">The appearance.</param>
/// <param name="Texture">The 256x256 UV texture painted from <paramref name="Spec"/>.</param>
/// <param name="Shape">The person's build (the same in every image of the identity).</param>
/// <param name="HardNegativeOf">Index of the earlier identity this one copies all colours from, or -1.</param>
public sealed record SynthIdentity(IdentitySpec Spec, RgbImage Texture, BodyShape Shape, int HardNegativeOf);

/// <summary>
/// Generates a list of identities from a master seed. A fraction of them are hard negatives: copies of an earlier
/// identity's colours that differ only in the top's pattern, a front or back print, or the bag.
/// </summary>
public static class IdentityCatalog
{
    /// <summary>Default fraction of identities made as hard negatives of an earlier one.</summary>
    public const double DefaultHardNegativeFraction = 0.2;

    /// <summary>
    /// Identities <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1 of the catalogue of
    /// <paramref name="seed"/>; identity i is the same whatever range it is generated in.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or index is negative, or the fraction is outside [0, 1].</exception>
    public static SynthIdentity[] Create(int seed, int first, int count, double hardNegativeFraction = DefaultHardNegativeFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (hardNegativeFraction is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hardNegativeFraction), hardNegativeFraction, "Must be in [0, 1].");
        }

        var result = new SynthIdentity[count];
        for (int i = 0; i < count; i++)
        {
            int index = first + i;
            Random random = Seeds.For(seed, Seeds.Stream.Identity, index);
            IdentitySpec spec;
            int hardOf = -1;
            // The partner is the previous identity, so identity i never depends on more than identity i - 1's spec
            // (which is regenerated here if it lies outside the requested range).
            if (index > 0 && random.NextDouble() < hardNegativeFraction)
            {
                hardOf = index - 1;
                IdentitySpec partner = SpecOf(seed, index - 1, hardNegativeFraction, depth: 0);
                spec = partner.HardNegative(random);
            }
            else
            {
                spec = IdentitySpec.Generate(random);
            }

            result[i] = new SynthIdentity(spec, TexturePainter.Paint(spec), BodyShape.Sample(random), hardOf);
        }

        return result;
    }

    // The spec of identity `index` (recursing through chains of hard negatives, bounded by the chain length).
    private static IdentitySpec SpecOf(int seed, int index, double fraction, int depth)
    {
        Random random = Seeds.For(seed, Seeds.Stream.Identity, index);
        if (index > 0 && random.NextDouble() < fraction && depth < 64)
        {
            return SpecOf(seed, index - 1, fraction, depth + 1).HardNegative(random);
        }

        return IdentitySpec.Generate(random);
    }
}
