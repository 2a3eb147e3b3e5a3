namespace SanReid.Synthesis;

/// <summary>
/// Derives independent per-item seeds from a master seed (SplitMix64 finaliser), so that every image gets its own
/// <see cref="Random"/> and an item's content does not depend on how many other items were generated before it.
/// </summary>
public static class Seeds
{
    /// <summary>Streams of seeds used by the generators; each kind of item draws from its own stream.</summary>
    public enum Stream
    {
        Identity = 1,
        Image = 2,
        Camera = 3,
        Background = 4,
        Sheet = 5,
        Layout = 6,
        Occluder = 7,
    }

    /// <summary>A non-negative 31-bit seed for item <paramref name="index"/> of <paramref name="stream"/> under <paramref name="master"/>.</summary>
    public static int Derive(int master, Stream stream, long index)
    {
        unchecked
        {
            ulong z = (ulong)(uint)master * 0x9E3779B97F4A7C15UL ^ (ulong)stream * 0xD1B54A32D192ED03UL ^ (ulong)index * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & 0x7FFFFFFF);
        }
    }

    /// <summary>A <see cref="Random"/> seeded with <see cref="Derive"/>.</summary>
    public static Random For(int master, Stream stream, long index) => new(Derive(master, stream, index));
}
