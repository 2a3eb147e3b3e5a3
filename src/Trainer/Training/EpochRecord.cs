namespace SanReid.Trainer.Training;

/// <summary>One line of <c>metrics.jsonl</c>: what an epoch did.</summary>
public sealed record EpochRecord
{
    /// <summary>1-based epoch number.</summary>
    public required int Epoch { get; init; }

    /// <summary>Encoder learning rate of the epoch.</summary>
    public required double Lr { get; init; }

    /// <summary>Optimiser steps in the epoch.</summary>
    public required int Steps { get; init; }

    /// <summary>Wall-clock seconds of the epoch's training steps.</summary>
    public required double Seconds { get; init; }

    /// <summary>Training images per second (each batch image counted once, both SAN steps included).</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Mean of each loss term over the epoch's steps ("id", "triplet", "texture", "tripletReid", "total", "l1").</summary>
    public required Dictionary<string, double> Losses { get; init; }

    /// <summary>Total loss of the epoch's first step (resume checks compare it).</summary>
    public required double FirstStepLoss { get; init; }

    /// <summary>Evaluation after the epoch ("rank1", "rank5", "rank10", "mAP", "mINP", "skipped"; SAN-PG: "heldOutL1", "meanTextureL1"); null when not evaluated.</summary>
    public Dictionary<string, double>? Eval { get; init; }
}
