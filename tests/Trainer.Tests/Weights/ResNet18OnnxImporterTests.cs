using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Weights;

public class ResNet18OnnxImporterTests(ITestOutputHelper output)
{
    private static readonly long[] OnnxInputShape = [1, 3, 224, 224];

    [Fact]
    public void ImportedBackboneMatchesOnnxRuntimeOnTheOriginalFile()
    {
        var onnxPath = PackagedImageNetModel.ResolveResNet18();
        var preprocessPath = PackagedImageNetModel.ResolvePreprocess(onnxPath);
        var rgb = SyntheticRgb(seed: 1);
        // The model's own preprocessing (RGB -> BGR, minus its mean image), run by ONNX Runtime on the package's graph.
        var bgrMinusMean = OrtReference.Run(preprocessPath, rgb, OnnxInputShape);
        var expected = OrtReference.Run(onnxPath, bgrMinusMean, OnnxInputShape);

        var state = ResNet18OnnxImporter.ReadStateDict(onnxPath);
        using var encoder = new SaEncoder(Backbone.ResNet18, lastStride: 2);
        StateDictFiles.LoadBackbone(encoder, state, onnxPath);
        encoder.eval();
        using var _ = no_grad();
        using var input = tensor(bgrMinusMean, OnnxInputShape);
        using var pooled = encoder.PooledBackbone(input);
        var actual = pooled.data<float>().ToArray();

        var diff = OrtReference.MaxAbsDiff(expected, actual);
        output.WriteLine($"pooled 512-d: max abs diff TorchSharp vs ONNX Runtime = {diff:E2} (max |value| {expected.Max(Math.Abs):F3})");
        Assert.Equal(512, actual.Length);
        Assert.True(diff <= 1e-4f, $"max abs diff {diff}");
        foreach (var t in state.Values) t.Dispose();
    }

    [Fact]
    public void ImportMapsEveryInitializerOntoTorchvisionKeys()
    {
        var state = ResNet18OnnxImporter.ReadStateDict(PackagedImageNetModel.ResolveResNet18());
        using var encoder = new SaEncoder(Backbone.ResNet18);
        var backboneKeys = encoder.state_dict().Keys
            .Where(k => !k.StartsWith("fc.", StringComparison.Ordinal) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToHashSet();

        Assert.Equal(110, state.Count); // every initializer of the file, one key each
        Assert.True(backboneKeys.SetEquals(state.Keys));
        foreach (var t in state.Values) t.Dispose();
    }

    [Fact]
    public void FoldedInputGivesNearlyTheOriginalFeaturesFromRgbImageNetInput()
    {
        var onnxPath = PackagedImageNetModel.ResolveResNet18();
        var rgb = SyntheticRgb(seed: 2);
        var expected = OrtReference.Run(onnxPath, OrtReference.Run(PackagedImageNetModel.ResolvePreprocess(onnxPath), rgb, OnnxInputShape), OnnxInputShape);

        using var encoder = ImageNetInitialisation.ResNet18FromPackage(onnxPath, lastStride: 2);
        encoder.eval();
        using var _ = no_grad();
        using var raw = tensor(rgb, OnnxInputShape);
        using var normalised = raw.div(255f).sub(tensor(ImageNetInputFold.Mean).view(1, 3, 1, 1)).div(tensor(ImageNetInputFold.Std).view(1, 3, 1, 1));
        using var pooled = encoder.PooledBackbone(normalised);
        var actual = pooled.data<float>().ToArray();

        // Not exact by design: the per-pixel mean image becomes its channel average (ImageNetInputFold remarks).
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            dot += actual[i] * expected[i];
            na += actual[i] * actual[i];
            nb += expected[i] * expected[i];
        }

        var cosine = dot / Math.Sqrt(na * nb);
        output.WriteLine($"cosine(folded RGB input, original BGR/mean-image input) = {cosine:F5}, max abs diff {OrtReference.MaxAbsDiff(expected, actual):F4}");
        Assert.True(cosine > 0.99, $"cosine {cosine}");
    }

    // A smooth colour gradient with noise, 0..255, RGB planes: stands in for a photo without needing image files.
    private static float[] SyntheticRgb(int seed)
    {
        var random = new Random(seed);
        var data = new float[3 * 224 * 224];
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 224; y++)
            {
                for (int x = 0; x < 224; x++)
                {
                    var smooth = 127.5 + 100 * Math.Sin((x * (c + 1) + y * (3 - c)) / 37.0);
                    data[(c * 224 + y) * 224 + x] = (float)Math.Clamp(smooth + random.NextDouble() * 40 - 20, 0, 255);
                }
            }
        }

        return data;
    }
}
