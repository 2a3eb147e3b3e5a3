using System.Text.Json;
using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Export;

/// <summary>export --flip: the flip test-time augmentation inside the graph, at 128x64 to keep the test fast.</summary>
public sealed class FlipExportTests : IDisposable
{
    private const int Height = 128, Width = 64;
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-flip-").FullName;
    private readonly SaEncoder encoder;
    private readonly ITestOutputHelper output;

    public FlipExportTests(ITestOutputHelper output)
    {
        this.output = output;
        manual_seed(3);
        encoder = new SaEncoder(Backbone.ResNet18);
        encoder.eval();
    }

    public void Dispose()
    {
        encoder.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void FlipExportMatchesTorchSharpFlipAverageAndEmbedsACropLikeItsMirror()
    {
        var flipped = Export("flip", flip: true, out var parity, out var log);
        var plain = Export("plain", flip: false, out _, out _);
        output.WriteLine(log);
        var crops = RandomCrops(3, seed: 21);
        var mirrors = ModelExport.Mirrored(crops, 3, Height, Width);
        using var flipModel = new OnnxEmbedder(flipped);
        using var plainModel = new OnnxEmbedder(plain);

        float flipAsymmetry = MaxAbsDiff(flipModel.Embed(crops, 3), flipModel.Embed(mirrors, 3));
        float plainAsymmetry = MaxAbsDiff(plainModel.Embed(crops, 3), plainModel.Embed(mirrors, 3));

        // Parity against TorchSharp's flip average on batches 1, 2, 7, checked inside the export as for every model.
        Assert.Equal([1, 2, 7], parity.Select(p => p.BatchSize));
        Assert.All(parity, p => Assert.True(p.MaxAbsDiff <= ModelExport.ParityTolerance, $"batch {p.BatchSize}: {p.MaxAbsDiff}"));
        Assert.Contains("flip symmetry batch 7", log);
        // mean(f(c), f(m(c))) is the same sum either way round: only float noise between rows of a batch remains.
        output.WriteLine($"max |e(crop) - e(mirror)|: flip graph {flipAsymmetry:E2}, plain graph {plainAsymmetry:E2}");
        Assert.True(flipAsymmetry <= 1e-5f, $"flip graph: {flipAsymmetry}");
        // The same weights without flip are not mirror-symmetric on random crops, so the check above can fail.
        Assert.True(plainAsymmetry > 1e-3f, $"plain graph: {plainAsymmetry}");
    }

    [Fact]
    public void TheCardAndTheMetadataSayFlip()
    {
        var flipped = Export("flip", flip: true, out _, out _);
        using var embedder = new OnnxEmbedder(flipped);
        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(flipped)));

        Assert.Equal("true", embedder.Metadata["flip_tta"]);
        Assert.True(card.RootElement.GetProperty("flip_tta").GetBoolean());
        Assert.Equal($"{Height}x{Width}", embedder.Metadata["input_size"]);
        Assert.Equal(SaEncoder.EmbeddingSize, embedder.Dimension);
    }

    [Fact]
    public void APlainExportSaysNoFlip()
    {
        var plain = Export("plain", flip: false, out _, out _);
        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(plain)));

        Assert.False(card.RootElement.GetProperty("flip_tta").GetBoolean());
    }

    [Fact]
    public void MirroredReversesThePixelsOfEachRowAndKeepsTheirChannels()
    {
        // One crop, 2 rows x 3 pixels, RGB: row 0 = p0 p1 p2, row 1 = p3 p4 p5 with pixel i = (3i, 3i+1, 3i+2).
        // Mirrored: row 0 = p2 p1 p0, row 1 = p5 p4 p3.
        byte[] crops = [.. Enumerable.Range(0, 18).Select(i => (byte)i)];

        var mirrored = ModelExport.Mirrored(crops, 1, 2, 3);

        Assert.Equal([6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11], mirrored);
    }

    private string Export(string name, bool flip, out IReadOnlyList<ParityResult> parity, out string log)
    {
        var path = Path.Combine(folder, name + ".onnx");
        var card = ExportedModelFixture.Card(name) with { InputHeight = Height, InputWidth = Width, FlipTta = flip };
        var writer = new StringWriter();
        parity = ModelExport.Export(encoder, card, path, writer);
        log = writer.ToString();
        return path;
    }

    private static byte[] RandomCrops(int count, int seed)
    {
        var crops = new byte[count * Height * Width * 3];
        new Random(seed).NextBytes(crops);
        return crops;
    }

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }

        return worst;
    }
}
