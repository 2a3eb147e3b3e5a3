namespace SanReid.Trainer.Training;

/// <summary>
/// The encoder's learning rate per epoch as the public SAN code runs it (main.py, args.py; DESIGN.md "Training recipe"):
/// first W = <c>warmupEpochs</c> epochs on a separate warm-up Adam, then <c>epochs - W</c> epochs on a fresh AMSGrad.
/// </summary>
/// <remarks>
/// <para>Warm-up, epoch e &lt; W: <c>lr(e) = min(lr, warmupStartLr * warmupFactor^e)</c> (the public code's
/// ExponentialLR, gamma 1.259, stepped once per epoch; the cap at lr never binds with the SAN values).</para>
/// <para>Main phase, epoch e &gt;= W: <c>lr(e) = lr * lrDecay^m</c>, m = the number of milestones &lt;= e - W. The public
/// code's MultiStepLR belongs to the main optimiser and is stepped only in the main loop, so its milestones count
/// epochs from the end of warm-up.</para>
/// <para>SAN values (0-based absolute epochs): 8e-6 at epoch 0, x1.259 per epoch to 8e-6 x 1.259^19 = 6.36e-4 at epoch 19;
/// 8e-4 for epochs 20..59, 4e-4 from 60 (milestone 40), 2e-4 from 100 (80), ..., 8e-4 / 128 from 300 (280) to 319,
/// the last of 20 + 300 = 320 epochs.</para>
/// </remarks>
public sealed class LearningRateSchedule(TrainingConfig config)
{
    /// <summary>True when 0-based epoch <paramref name="epoch"/> belongs to warm-up (trained by the warm-up Adam).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch.</exception>
    public bool IsWarmup(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return epoch < config.WarmupEpochs;
    }

    /// <summary>Learning rate of the encoder step for 0-based absolute epoch <paramref name="epoch"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch.</exception>
    public double At(int epoch)
    {
        if (IsWarmup(epoch))
        {
            return Math.Min(config.Lr, config.WarmupStartLr * Math.Pow(config.WarmupFactor, epoch));
        }

        var mainEpoch = epoch - config.WarmupEpochs;
        var passed = config.LrMilestones.Count(m => m <= mainEpoch);
        return config.Lr * Math.Pow(config.LrDecay, passed);
    }
}
