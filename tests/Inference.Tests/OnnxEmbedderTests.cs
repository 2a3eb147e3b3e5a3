using Google.Protobuf;
using Onnx;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Imaging;

namespace SanReid.Inference.Tests;

public sealed class OnnxEmbedderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-embedder-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void TheDefaultModelFollowsTheContractAndGivesUnitNormRows()
    {
        using var embedder = new OnnxEmbedder(RepoPaths.DefaultModel);

        // The default model is exported at 256x128 with a 512-d neck (its card: input_size, embedding_size).
        Assert.Equal((256, 128, 512), (embedder.Height, embedder.Width, embedder.Dimension));
        Assert.Equal(("images", "embeddings", "CPU"), (embedder.InputName, embedder.OutputName, embedder.ExecutionProvider));
        Assert.Equal("512", embedder.Metadata["embedding_size"]);
        var rows = embedder.Embed([Crop(embedder, 10), Crop(embedder, 200)]);
        Assert.All(rows, row => Assert.Equal(1.0, Math.Sqrt(row.Sum(v => (double)v * v)), 4));
        Assert.NotEqual(rows[0], rows[1]);
    }

    [Fact]
    public void AnEmbeddingDoesNotDependOnItsBatchOrOnTheRunSize()
    {
        var crops = new[] { Crop(256, 128, 10), Crop(256, 128, 90), Crop(256, 128, 200) };
        using var chunked = new OnnxEmbedder(RepoPaths.DefaultModel, new OnnxEmbedderOptions { MaxBatchSize = 2 });
        using var whole = new OnnxEmbedder(RepoPaths.DefaultModel, new OnnxEmbedderOptions { MaxBatchSize = 8 });

        var a = chunked.Embed(crops);
        var b = whole.Embed(crops);
        var flat = whole.Embed(crops.SelectMany(c => c.Pixels).ToArray(), crops.Length);
        var alone = whole.Embed([crops[2]])[0];

        for (int i = 0; i < crops.Length; i++)
        {
            for (int j = 0; j < whole.Dimension; j++)
            {
                Assert.Equal(b[i][j], a[i][j], 1e-5f);
                Assert.Equal(b[i][j], flat[i * whole.Dimension + j], 1e-5f);
            }
        }

        Assert.Equal(b[2], alone, (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    [Fact]
    public void ACropOfAnotherSizeOrAWrongBufferIsRefused()
    {
        using var embedder = new OnnxEmbedder(RepoPaths.DefaultModel);

        var e = Assert.Throws<ArgumentException>(() => embedder.Embed([Crop(128, 64, 0)]));
        Assert.Contains("128x64", e.Message);
        Assert.Contains("256x128", e.Message);
        Assert.Throws<ArgumentException>(() => embedder.Embed(new byte[embedder.CropBytes - 1], 1));
    }

    [Fact]
    public void AModelThatBreaksTheContractIsRefusedNamingTheFileAndTheContract()
    {
        string floatInput = Write("float-input.onnx", Info("images", TensorProto.Types.DataType.Float, 512), Info("embeddings", TensorProto.Types.DataType.Float, 512));
        string otherOutput = Write("other-output.onnx", Info("images", TensorProto.Types.DataType.Float, 512), Info("features", TensorProto.Types.DataType.Float, 512));

        var e = Assert.Throws<InvalidDataException>(() => new OnnxEmbedder(floatInput));
        Assert.Contains(floatInput, e.Message);
        Assert.Contains("input 'images' is float [N, 512]", e.Message);
        Assert.Contains("uint8 [N, H, W, 3]", e.Message);
        Assert.Contains("no 'embeddings'", Assert.Throws<InvalidDataException>(() => new OnnxEmbedder(otherOutput)).Message);
    }

    [Fact]
    public void AMissingOrUnloadableFileIsRefusedNamingIt()
    {
        string missing = Path.Combine(folder, "missing.onnx");
        string text = Path.Combine(folder, "text.onnx");
        File.WriteAllText(text, "not a model");

        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => new OnnxEmbedder(missing)).Message);
        Assert.Contains(text, Assert.Throws<InvalidDataException>(() => new OnnxEmbedder(text)).Message);
    }

    private static RgbCrop Crop(OnnxEmbedder embedder, byte value) => Crop(embedder.Height, embedder.Width, value);

    // A crop with a left-to-right ramp, so different values give different embeddings.
    private static RgbCrop Crop(int height, int width, byte value)
    {
        var pixels = new byte[height * width * 3];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(value + (i / 3 % width));
        return new RgbCrop(height, width, pixels);
    }

    private string Write(string name, ValueInfoProto input, ValueInfoProto output)
    {
        var graph = new GraphProto { Name = "wrong" };
        graph.Input.Add(input);
        graph.Output.Add(output);
        graph.Node.Add(new NodeProto { OpType = "Identity", Input = { input.Name }, Output = { output.Name } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 17 } } };
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static ValueInfoProto Info(string name, TensorProto.Types.DataType type, long width) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)type,
                Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "N" }, new TensorShapeProto.Types.Dimension { DimValue = width } } },
            },
        },
    };
}
