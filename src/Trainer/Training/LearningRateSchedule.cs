namespace SanReid.Trainer.Training;

/// <summary>
/// The encoder's learning rate per epoch (DESIGN.md "Training recipe", public SAN code): during warm-up
/// (epoch e &lt; W) <c>lr(e) = min(lr, warmupStartLr * warmupFactor^e)</c>; afterwards
/// <c>lr(e) = lr * decay^m</c>, m = the number of milestones &lt;= e. With the SAN defaults: 8e-6 at epoch 0, x1.259 per
/// epoch to 6.36e-4 at epoch 19 (1.259^20 = 100.3 would reach 8e-4 at epoch 20), 8e-4 from epoch 20, 4e-4 from 40, 2e-4 from 80, ..., 8e-4 / 128 from 280.
/// </summary>
public sealed class LearningRateSchedule(TrainingConfig config)
{
    /// <summary>Learning rate for 0-based epoch <paramref name="epoch"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch.</exception>
    public double At(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (epoch < config.WarmupEpochs)
        {
            return Math.Min(config.Lr, config.WarmupStartLr * Math.Pow(config.WarmupFactor, epoch));
        }

        var passed = config.LrMilestones.Count(m => m <= epoch);
        return config.Lr * Math.Pow(config.LrDecay, passed);
    }
}
