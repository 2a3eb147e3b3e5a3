using System.Text.Json;
using SanReid.Inference;
using SanReid.Trainer.Cli;
using SanReid.Trainer.Export;
using SanReid.Trainer.Inference;

namespace SanReid.Trainer.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class ModelCommandsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void DefaultModelWritesAModelWhoseCardSaysItIsNotTrainedForReid()
    {
        var path = Path.Combine(folder, "sanreid-resnet18-imagenet.onnx");

        var (exitCode, stdout) = Run("default-model", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Contains("parity batch 7", stdout);
        using var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "sanreid-resnet18-imagenet.card.json")));
        Assert.False(card.RootElement.GetProperty("trained_for_reid").GetBoolean());
        Assert.Contains("NOT trained for re-ID", card.RootElement.GetProperty("notice").GetString());
        using var embedder = new OnnxEmbedder(path);
        Assert.Equal("false", embedder.Metadata["trained_for_reid"]);
        Assert.Equal(512, embedder.Dimension);
    }

    [Fact]
    public void ImportedWeightsExportToTheSameEmbeddingsAsTheDefaultModelWithARandomNeck()
    {
        var weights = Path.Combine(folder, "r18.safetensors");
        var viaImport = Path.Combine(folder, "via-import.onnx");
        var direct = Path.Combine(folder, "direct.onnx");

        Assert.Equal(0, Run("import-imagenet", "--out", weights, "--seed", "7").ExitCode);
        Assert.Equal(0, Run("export", "--weights", weights, "--out", viaImport).ExitCode);
        Assert.Equal(0, Run("default-model", "--out", direct, "--seed", "7", "--neck", "random").ExitCode);

        var crops = new byte[2 * EmbeddingContract.CropBytes];
        new Random(3).NextBytes(crops);
        using var a = new OnnxEmbedder(viaImport);
        using var b = new OnnxEmbedder(direct);
        Assert.Equal(b.Embed(crops, 2), a.Embed(crops, 2));
    }

    [Fact]
    public void ExportWithoutWeightsIsRefusedWithAUsageError()
    {
        var (exitCode, output) = Run("export", "--out", Path.Combine(folder, "x.onnx"));

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: give exactly one of --weights", output);
        Assert.False(File.Exists(Path.Combine(folder, "x.onnx")));
    }

    [Fact]
    public void ExportFromAnImageNetBackboneRecordsTheRandomNeckSeed()
    {
        var weights = Path.Combine(folder, "backbone.safetensors");
        var path = Path.Combine(folder, "from-backbone.onnx");
        Assert.Equal(0, Run("import-imagenet", "--out", weights).ExitCode);

        var (exitCode, stdout) = Run("export", "--backbone", "resnet18", "--imagenet-weights", weights, "--seed", "42", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Contains("parity batch 7", stdout);
        using var embedder = new OnnxEmbedder(path);
        Assert.Contains("seed 42", embedder.Metadata["neck_init"]);
        Assert.Equal("false", embedder.Metadata["trained_for_reid"]);
    }

    [Fact]
    public void ExportOfWeightsForAnotherBackboneFailsNamingTheFile()
    {
        var weights = Path.Combine(folder, "r18.safetensors");
        Assert.Equal(0, Run("import-imagenet", "--out", weights).ExitCode);

        var (exitCode, output) = Run("export", "--backbone", "resnet50", "--weights", weights, "--out", Path.Combine(folder, "bad.onnx"));

        Assert.Equal(1, exitCode);
        Assert.Contains($"error: {weights}", output);
        Assert.Contains("not a resnet50 state_dict", output);
        Assert.False(File.Exists(Path.Combine(folder, "bad.onnx")));
    }

    [Fact]
    public void RankWithAMissingFolderFailsWithAClearError()
    {
        var model = Path.Combine(folder, "m.onnx");
        Assert.Equal(0, Run("default-model", "--out", model).ExitCode);

        var (exitCode, output) = Run("rank", "--model", model, "--gallery", folder, "--query", Path.Combine(folder, "nowhere"));

        Assert.Equal(1, exitCode);
        Assert.Contains("nowhere", output);
    }

    [Theory]
    [InlineData("rank")]
    [InlineData("import-imagenet")]
    [InlineData("export")]
    [InlineData("default-model")]
    public void EveryCommandHasHelp(string command)
    {
        var (exitCode, stdout) = Run(command, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains(command == "rank" ? "--gallery" : "--out", stdout);
    }

    internal static (int ExitCode, string Stdout) Run(params string[] args)
    {
        var original = Console.Out;
        var originalError = Console.Error;
        var writer = new StringWriter();
        Console.SetOut(writer);
        Console.SetError(writer);
        try
        {
            int code = CommandLine.Invoke(args, writer, writer);
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(original);
            Console.SetError(originalError);
        }
    }
}
