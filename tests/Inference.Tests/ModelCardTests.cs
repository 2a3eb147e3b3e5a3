using System.Text.Json;

namespace SanReid.Inference.Tests;

public sealed class ModelCardTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-card-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void TheCardIsWrittenWithSnakeCaseKeysAndReadBackAsWritten()
    {
        var card = new ModelCard
        {
            Name = "m",
            Backbone = "resnet18",
            Architecture = "SA-Enc",
            InputHeight = 128,
            InputWidth = 64,
            EmbeddingSize = 512,
            TrainingData = "synthetic",
            Scores = "none",
            TrainedForReid = false,
            WeightsSource = ModelCard.FileSource("/home/someone/w.safetensors", "(note)"),
            NeckInit = "identity",
            Notice = "test",
        };
        string onnx = Path.Combine(folder, "m.onnx");
        File.WriteAllText(ModelCard.PathFor(onnx), card.ToJson());

        var file = new ModelCardFile(onnx, cardPath: null);
        var metadata = card.ToMetadata();

        Assert.Equal(Path.Combine(folder, "m.card.json"), file.SourcePath);
        var json = file.Json!.Value;
        Assert.Equal("[N,128,64,3]", json.GetProperty("input_shape").GetString());
        Assert.Equal(512, json.GetProperty("embedding_size").GetInt32());
        // Only the file name of a weights path reaches the card (it is served by the Api).
        Assert.Equal("w.safetensors (note)", json.GetProperty("weights_source").GetString());
        Assert.False(json.TryGetProperty("recipe", out _));
        Assert.Equal("128x64", metadata["input_size"]);
        Assert.Equal("false", metadata["trained_for_reid"]);
        Assert.Equal("512", metadata["embedding_size"]);
        Assert.StartsWith("uint8 RGB NHWC [N,128,64,3]", metadata["preprocessing"]);
    }

    [Fact]
    public void AMissingOrMalformedCardIsNoCard()
    {
        string onnx = Path.Combine(folder, "bare.onnx");
        string broken = Path.Combine(folder, "broken.card.json");
        File.WriteAllText(broken, "{ not json");

        Assert.Null(new ModelCardFile(onnx, cardPath: null).Json);
        var given = new ModelCardFile(onnx, broken);
        Assert.Null(given.Json);
        Assert.Null(given.SourcePath);
    }

    [Fact]
    public void ACardNamedAfterTheWholeFileNameIsFoundToo()
    {
        string onnx = Path.Combine(folder, "x.onnx");
        File.WriteAllText(onnx + ".card.json", JsonSerializer.Serialize(new { name = "x", extra = 1 }));

        var file = new ModelCardFile(onnx, cardPath: null);

        Assert.Equal(onnx + ".card.json", file.SourcePath);
        Assert.Equal(1, file.Json!.Value.GetProperty("extra").GetInt32());
    }

    [Theory]
    [InlineData(256, 128, true)]
    [InlineData(128, 64, true)]
    [InlineData(250, 128, false)]
    [InlineData(16, 16, false)]
    [InlineData(2048, 128, false)]
    public void InputSizesAreMultiplesOf16Between32And1024(int height, int width, bool valid)
    {
        Assert.Equal(valid, EmbeddingContract.SizeProblem(height, width) is null);
    }
}
