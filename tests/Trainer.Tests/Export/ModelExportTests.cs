using System.Text.Json;
using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Inference;
using SanReid.Trainer.Model;
using Xunit.Abstractions;

namespace SanReid.Trainer.Tests.Export;

public class ModelExportTests(ExportedModelFixture model, ITestOutputHelper output) : IClassFixture<ExportedModelFixture>
{
    [Fact]
    public void ExportMatchesTorchSharpOnBatchesOfOneTwoAndSeven()
    {
        output.WriteLine(model.Log);

        Assert.Equal([1, 2, 7], model.Parity.Select(p => p.BatchSize));
        Assert.All(model.Parity, p => Assert.True(p.MaxAbsDiff <= ModelExport.ParityTolerance, $"batch {p.BatchSize}: {p.MaxAbsDiff}"));
        Assert.Contains("parity batch 7", model.Log);
    }

    [Fact]
    public void EmbeddingOfACropDoesNotDependOnTheRestOfItsBatch()
    {
        var crops = RandomCrops(8, seed: 11);
        using var embedder = new OnnxEmbedder(model.OnnxPath);

        var batch = embedder.Embed(crops, 8);
        float worst = 0;
        for (int i = 0; i < 8; i++)
        {
            var alone = embedder.Embed(crops[(i * EmbeddingContract.CropBytes)..((i + 1) * EmbeddingContract.CropBytes)], 1);
            for (int d = 0; d < alone.Length; d++)
            {
                worst = Math.Max(worst, Math.Abs(alone[d] - batch[i * alone.Length + d]));
            }
        }

        output.WriteLine($"alone vs in a batch of 8: max abs diff {worst:E2}");
        Assert.True(worst <= 1e-5f, $"max abs diff {worst}");
    }

    [Fact]
    public void EmbeddingsHaveUnitNormAndTheContractShape()
    {
        using var embedder = new OnnxEmbedder(model.OnnxPath);

        var embeddings = embedder.Embed(RandomCrops(3, seed: 12), 3);

        Assert.Equal(SaEncoder.EmbeddingSize, embedder.Dimension);
        Assert.Equal(3 * SaEncoder.EmbeddingSize, embeddings.Length);
        for (int i = 0; i < 3; i++)
        {
            var row = embeddings.AsSpan(i * SaEncoder.EmbeddingSize, SaEncoder.EmbeddingSize);
            double norm = 0;
            foreach (var v in row) norm += v * v;
            Assert.InRange(Math.Sqrt(norm), 1 - 1e-5, 1 + 1e-5);
        }
    }

    [Fact]
    public void MetadataAndCardSayWhatTheModelIs()
    {
        using var embedder = new OnnxEmbedder(model.OnnxPath);
        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(model.OnnxPath)));

        Assert.Equal("false", embedder.Metadata["trained_for_reid"]);
        Assert.Equal("resnet18", embedder.Metadata["backbone"]);
        Assert.Equal("256x128", embedder.Metadata["input_size"]);
        Assert.Equal("512", embedder.Metadata["embedding_size"]);
        Assert.Contains("/255", embedder.Metadata["preprocessing"]);
        Assert.False(card.RootElement.GetProperty("trained_for_reid").GetBoolean());
        Assert.Equal(embedder.Metadata["parity_max_abs_diff"], card.RootElement.GetProperty("parity_max_abs_diff").GetString());
        Assert.EndsWith("test-model.card.json", ModelCard.PathFor(model.OnnxPath));
    }

    [Fact]
    public void ExportRefusesAnEncoderInTrainingMode()
    {
        using var encoder = new SaEncoder(Backbone.ResNet18);
        encoder.train();
        var path = Path.Combine(model.Folder, "train-mode.onnx");

        var error = Assert.Throws<InvalidOperationException>(() =>
            ModelExport.Export(encoder, ExportedModelFixture.Card("train-mode"), path, TextWriter.Null));

        Assert.Contains("training mode", error.Message);
        Assert.False(File.Exists(path));
    }

    private static byte[] RandomCrops(int count, int seed)
    {
        var crops = new byte[count * EmbeddingContract.CropBytes];
        new Random(seed).NextBytes(crops);
        return crops;
    }
}

public sealed class ResNet50ExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-export50-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ResNet50ExportWithBottlenecksMatchesTorchSharp()
    {
        TorchSharp.torch.manual_seed(4);
        using var encoder = new SaEncoder(Backbone.ResNet50);
        encoder.eval();
        var log = new StringWriter();

        var parity = ModelExport.Export(encoder, ExportedModelFixture.Card("r50") with { Backbone = "resnet50" }, Path.Combine(folder, "r50.onnx"), log);

        output.WriteLine(log.ToString());
        Assert.All(parity, p => Assert.True(p.MaxAbsDiff <= ModelExport.ParityTolerance, $"batch {p.BatchSize}: {p.MaxAbsDiff}"));
    }
}
