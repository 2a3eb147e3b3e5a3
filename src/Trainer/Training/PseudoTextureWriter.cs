using SanReid.Trainer.Data;
using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>
/// Pseudo ground-truth textures (DESIGN.md "SAN-PG and pseudo ground truth"): a trained SAN-PG (SA-Enc + SA-Dec in eval
/// mode) predicts a texture for every image, written as an 8-bit RGB PNG (values [-1, 1] mapped to 0..255, clamped)
/// under the texture root at the image's path relative to the image root, with the extension <c>.png</c>
/// (<see cref="TextureLookup.ParallelFolder"/> finds it).
/// </summary>
public static class PseudoTextureWriter
{
    /// <summary>Writes a texture for every image; returns how many were written.</summary>
    /// <param name="encoder">SAN-PG's SA-Enc.</param>
    /// <param name="decoder">SAN-PG's SA-Dec.</param>
    /// <param name="images">Image files, all under <paramref name="imageRoot"/>.</param>
    /// <param name="imageRoot">Root the relative names are taken from.</param>
    /// <param name="textureRoot">Output root.</param>
    /// <param name="reader">Reader at SAN-PG's input size.</param>
    /// <param name="device">Device of the models.</param>
    /// <param name="progress">Called with the count written so far.</param>
    /// <exception cref="ReidDatasetException">An image is unreadable or outside the image root.</exception>
    public static int Write(SaEncoder encoder, SaDecoder decoder, IReadOnlyList<string> images, string imageRoot, string textureRoot, CropReader reader, Device device, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(images);
        var root = Path.GetFullPath(imageRoot);
        var builder = new ReidBatchBuilder(reader);
        encoder.eval();
        decoder.eval();
        using var noGrad = no_grad();
        var written = 0;
        for (var start = 0; start < images.Count; start += 32)
        {
            using var scope = NewDisposeScope();
            var chunk = images.Skip(start).Take(32).ToArray();
            using var features = encoder.Features(builder.BuildEval(chunk, false, device));
            using var output = decoder.Decode(features);
            var bytes = ((output.Texture.cpu() + 1) * 127.5).clamp(0, 255).round().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
            var (h, w) = ((int)output.Texture.shape[2], (int)output.Texture.shape[3]);
            for (var i = 0; i < chunk.Length; i++)
            {
                var relative = Path.GetRelativePath(root, Path.GetFullPath(chunk[i]));
                if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                {
                    throw new ReidDatasetException($"Image '{chunk[i]}' is not under the image root '{root}'.");
                }

                var target = Path.ChangeExtension(Path.Combine(textureRoot, relative), ".png");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var image = Image.LoadPixelData<Rgb24>(bytes.AsSpan(i * h * w * 3, h * w * 3), w, h);
                image.SaveAsPng(target);
                written++;
            }

            progress?.Invoke(written);
        }

        return written;
    }
}
