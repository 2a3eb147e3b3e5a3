using TorchSharp;
using static TorchSharp.torch;

namespace SanReid.Trainer.Losses;

/// <summary>
/// Cross-entropy with label smoothing, the ID loss of SA-Enc (DESIGN.md "Losses", weight 1):
/// <c>L = -(1/N) sum_i sum_c q_ic log p_ic</c>, with <c>p = softmax(logits)</c> and the smoothed target
/// <c>q_ic = (1 - eps) [c = y_i] + eps / C</c>.
/// </summary>
/// <remarks>
/// Source: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016, section 7; used as
/// the re-ID ID loss with eps = 0.1 by the SAN public code (torchreid's CrossEntropyLoss with label_smooth).
/// </remarks>
public sealed class CrossEntropyLabelSmooth : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double epsilon;

    /// <summary>Creates the loss.</summary>
    /// <param name="epsilon">Smoothing eps in [0, 1); default 0.1 (SAN recipe).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> outside [0, 1).</exception>
    public CrossEntropyLabelSmooth(double epsilon = 0.1)
        : base(nameof(CrossEntropyLabelSmooth))
    {
        if (epsilon is < 0 or >= 1 || double.IsNaN(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Label smoothing must be in [0, 1).");
        }

        this.epsilon = epsilon;
        RegisterComponents();
    }

    /// <summary>The loss, a scalar (mean over the batch).</summary>
    /// <param name="logits">Classifier outputs [N, C], floating point, unnormalised.</param>
    /// <param name="targets">Class indices [N], int64, each in 0..C-1.</param>
    /// <exception cref="ArgumentException">Shapes disagree, or a target is outside 0..C-1.</exception>
    public override Tensor forward(Tensor logits, Tensor targets)
    {
        if (logits.dim() != 2 || targets.dim() != 1 || targets.shape[0] != logits.shape[0])
        {
            throw new ArgumentException($"Expected logits [N, C] and targets [N]; got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", targets.shape)}].");
        }

        var numClasses = logits.shape[1];
        if (targets.numel() > 0)
        {
            var min = targets.min().item<long>();
            var max = targets.max().item<long>();
            if (min < 0 || max >= numClasses)
            {
                throw new ArgumentException($"Targets must be class indices in 0..{numClasses - 1}; got values in {min}..{max}.", nameof(targets));
            }
        }

        using var scope = NewDisposeScope();
        var logProbs = nn.functional.log_softmax(logits, 1);
        var smoothed = nn.functional.one_hot(targets.to(ScalarType.Int64), numClasses).to(logits.dtype) * (1 - epsilon) + epsilon / numClasses;
        return (-(smoothed * logProbs)).sum(1).mean().MoveToOuterDisposeScope();
    }
}
