using static TorchSharp.torch;

namespace SanReid.Trainer.Model;

/// <summary>
/// Everything <see cref="SaEncoder.Features"/> computes for a batch of N crops of H x W pixels (256 x 128 in SAN).
/// Shapes below are for resnet50 at 256 x 128 with last stride 1; resnet18 has 64/128/256/512 channels instead of
/// 256/512/1024/2048. The caller owns and disposes every tensor (<see cref="Dispose"/> disposes all five).
/// </summary>
/// <param name="Feature">The re-ID feature after the neck: [N, 512] float32 (not normalised).</param>
/// <param name="Layer1">layer1 output: [N, 256, H/4, W/4] (256 x 64 x 32).</param>
/// <param name="Layer2">layer2 output: [N, 512, H/8, W/8] (512 x 32 x 16).</param>
/// <param name="Layer3">layer3 output: [N, 1024, H/16, W/16] (1024 x 16 x 8).</param>
/// <param name="Layer4">layer4 output: [N, 2048, H/16, W/16] (2048 x 16 x 8) with last stride 1.</param>
public sealed record SaEncoderFeatures(Tensor Feature, Tensor Layer1, Tensor Layer2, Tensor Layer3, Tensor Layer4) : IDisposable
{
    /// <summary>Disposes all five tensors.</summary>
    public void Dispose()
    {
        Feature.Dispose();
        Layer1.Dispose();
        Layer2.Dispose();
        Layer3.Dispose();
        Layer4.Dispose();
    }
}
