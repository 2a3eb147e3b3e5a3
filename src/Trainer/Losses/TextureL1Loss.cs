using TorchSharp;
using static TorchSharp.torch;

namespace SanReid.Trainer.Losses;

/// <summary>
/// Texture reconstruction loss of SA-Dec (DESIGN.md "Losses", weight 1): the mean absolute error over every element,
/// <c>L = (1 / (N C H W)) sum |T_pred - T_gt|</c>, between the predicted texture and the (pseudo) ground-truth
/// texture, both [N, 3, 256, 256] in [-1, 1].
/// </summary>
/// <remarks>Source: SAN paper (Jin et al., AAAI 2020), section 3.2 "reconstruction loss"; nn.L1Loss in its public code.</remarks>
public sealed class TextureL1Loss : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the loss.</summary>
    public TextureL1Loss()
        : base(nameof(TextureL1Loss))
    {
        RegisterComponents();
    }

    /// <summary>The loss, a scalar.</summary>
    /// <param name="predicted">Predicted textures, any shape (normally [N, 3, 256, 256]).</param>
    /// <param name="target">Target textures, the same shape.</param>
    /// <exception cref="ArgumentException">The shapes differ (no broadcasting: a shape mismatch is a bug, not a wish).</exception>
    public override Tensor forward(Tensor predicted, Tensor target)
    {
        if (!predicted.shape.SequenceEqual(target.shape))
        {
            throw new ArgumentException($"Predicted texture [{string.Join(", ", predicted.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape.");
        }

        return nn.functional.l1_loss(predicted, target);
    }
}
