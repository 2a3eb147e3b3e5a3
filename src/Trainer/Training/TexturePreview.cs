using SanReid.Trainer.Data;
using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>
/// Texture preview PNG: one row per sample, <c>input | predicted | target</c>. Inputs are ImageNet-normalised
/// [N, 3, H, W] and are un-normalised for display; textures are [N, 3, T, T] in [-1, 1] (clamped for display).
/// </summary>
public static class TexturePreview
{
    private const int Gap = 4;

    /// <summary>
    /// Runs SA-Enc and SA-Dec (eval mode, no gradient) on <paramref name="imagePaths"/> and writes their preview against
    /// the textures at <paramref name="texturePaths"/>. Leaves both modules in eval mode.
    /// </summary>
    /// <exception cref="ReidDatasetException">A file is missing or unreadable.</exception>
    public static void Write(string path, SaEncoder encoder, SaDecoder decoder, ReidBatchBuilder builder, IReadOnlyList<string> imagePaths, IReadOnlyList<string> texturePaths, Device device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        encoder.eval();
        decoder.eval();
        var images = builder.BuildEval(imagePaths, false, device);
        using var features = encoder.Features(images);
        using var output = decoder.Decode(features);
        Write(path, images, output.Texture, builder.BuildTextures(texturePaths));
    }

    /// <summary>Writes the preview.</summary>
    /// <param name="path">PNG file to write.</param>
    /// <param name="images">Network inputs [N, 3, H, W], ImageNet-normalised.</param>
    /// <param name="predicted">Predicted textures [N, 3, T, T].</param>
    /// <param name="target">Target textures [N, 3, T, T].</param>
    /// <exception cref="ArgumentException">Batch sizes differ.</exception>
    public static void Write(string path, Tensor images, Tensor predicted, Tensor target)
    {
        if (images.shape[0] != predicted.shape[0] || predicted.shape[0] != target.shape[0])
        {
            throw new ArgumentException("Preview tensors must share the batch size.");
        }

        using var scope = NewDisposeScope();
        var mean = tensor(ReidTransforms.ImageNetMean).view(1, 3, 1, 1);
        var std = tensor(ReidTransforms.ImageNetStd).view(1, 3, 1, 1);
        var input = ToBytes((images.detach().cpu() * std + mean) * 255);
        var pred = ToBytes((predicted.detach().cpu() + 1) * 127.5);
        var gt = ToBytes((target.detach().cpu() + 1) * 127.5);
        var n = (int)images.shape[0];
        var (h, w) = ((int)images.shape[2], (int)images.shape[3]);
        var t = (int)target.shape[2];
        var rowHeight = Math.Max(h, t);
        using var canvas = new Image<Rgb24>(w + (2 * t) + (4 * Gap), (n * (rowHeight + Gap)) + Gap, new Rgb24(255, 255, 255));
        for (var i = 0; i < n; i++)
        {
            var top = Gap + (i * (rowHeight + Gap));
            Draw(canvas, input, i, h, w, Gap, top);
            Draw(canvas, pred, i, t, t, w + (2 * Gap), top);
            Draw(canvas, gt, i, t, t, w + t + (3 * Gap), top);
        }

        canvas.SaveAsPng(path);
    }

    private static byte[] ToBytes(Tensor x) => x.clamp(0, 255).round().to_type(ScalarType.Byte).contiguous().data<byte>().ToArray();

    private static void Draw(Image<Rgb24> canvas, byte[] chw, int index, int height, int width, int left, int top)
    {
        var plane = height * width;
        var offset = index * 3 * plane;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = offset + (y * width) + x;
                canvas[left + x, top + y] = new Rgb24(chw[p], chw[p + plane], chw[p + (2 * plane)]);
            }
        }
    }
}
