using TorchSharp;
using static TorchSharp.torch;

namespace SanReid.Trainer.Losses;

/// <summary>
/// Batch-hard triplet loss on the re-ID feature (DESIGN.md "Losses": 512-d feature, margin 0.3, weight 1):
/// <c>L = (1/N) sum_a max(0, max_{p: y_p = y_a} d(a, p) - min_{n: y_n != y_a} d(a, n) + m)</c>,
/// with Euclidean distance <c>d(a, b) = sqrt(max(|f_a - f_b|^2, 1e-12))</c>.
/// </summary>
/// <remarks>
/// Source: Hermans, Beyer and Leibe, "In Defense of the Triplet Loss for Person Re-Identification", arXiv 1703.07737,
/// section 2 (batch hard); torchreid's TripletLoss as used by the SAN public code. The anchor counts as its own
/// positive (distance ~0), so an identity with one image in the batch still contributes through its hardest negative.
/// A batch of a single identity has no negatives: its loss is 0.
/// </remarks>
public sealed class BatchHardTripletLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double margin;

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">Hinge margin m &gt;= 0; default 0.3 (SAN recipe).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is negative or NaN.</exception>
    public BatchHardTripletLoss(double margin = 0.3)
        : base(nameof(BatchHardTripletLoss))
    {
        if (!(margin >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "Margin must be non-negative.");
        }

        this.margin = margin;
        RegisterComponents();
    }

    /// <summary>The loss, a scalar (mean over anchors).</summary>
    /// <param name="features">Features [N, D], floating point (not normalised by this loss).</param>
    /// <param name="labels">Identity labels [N], integer.</param>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public override Tensor forward(Tensor features, Tensor labels)
    {
        if (features.dim() != 2 || labels.dim() != 1 || labels.shape[0] != features.shape[0])
        {
            throw new ArgumentException($"Expected features [N, D] and labels [N]; got [{string.Join(", ", features.shape)}] and [{string.Join(", ", labels.shape)}].");
        }

        using var scope = NewDisposeScope();
        var distances = PairwiseEuclidean(features);
        var n = labels.shape[0];
        var same = labels.unsqueeze(0).expand(n, n).eq(labels.unsqueeze(1).expand(n, n));
        var hardestPositive = distances.masked_fill(same.logical_not(), double.NegativeInfinity).max(1).values;
        var hardestNegative = distances.masked_fill(same, double.PositiveInfinity).min(1).values;
        return nn.functional.relu(hardestPositive - hardestNegative + margin).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Euclidean distances [N, N] between the rows of <paramref name="x"/> [N, D], clamped below at 1e-6 (sqrt of 1e-12) for a finite gradient.</summary>
    public static Tensor PairwiseEuclidean(Tensor x)
    {
        using var scope = NewDisposeScope();
        var squared = x.pow(2).sum(1, keepdim: true);
        var d2 = squared + squared.t() - 2 * x.matmul(x.t());
        return d2.clamp_min(1e-12).sqrt().MoveToOuterDisposeScope();
    }
}
