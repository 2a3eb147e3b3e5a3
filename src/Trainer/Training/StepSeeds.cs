namespace SanReid.Trainer.Training;

/// <summary>
/// Seeds of a training step's random draws (augmentation, Triplet ReID sampling), a SplitMix64 mix of
/// (master seed, stream, epoch, step): the same in every process, so a resumed run draws what an uninterrupted one draws.
/// </summary>
public static class StepSeeds
{
    /// <summary>Augmentation stream.</summary>
    public const int Augment = 1;

    /// <summary>Triplet ReID sampling stream.</summary>
    public const int TripletReid = 2;

    /// <summary>A non-negative 31-bit seed.</summary>
    public static int For(int seed, int stream, int epoch, int step)
    {
        unchecked
        {
            ulong z = ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)stream * 0xD1B54A32D192ED03UL)
                ^ ((ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL) ^ ((ulong)(uint)step * 0x94D049BB133111EBUL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & 0x7FFFFFFF);
        }
    }
}
