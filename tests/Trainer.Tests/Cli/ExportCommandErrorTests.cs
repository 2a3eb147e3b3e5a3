using System.Text;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Cli;

/// <summary>`sanreid-train export` with broken weights or an unusable output path: one error line, exit 1, no model left.</summary>
public sealed class ExportCommandErrorTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-export-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ExportOfWeightsWithANaNIsRefusedNamingTheFileAndTheKey()
    {
        var weights = Weights("nan.safetensors", state => state["layer2.0.conv1.weight"][0, 0, 0, 0] = float.NaN);
        var output = Path.Combine(folder, "nan.onnx");

        var (code, _, stderr) = TrainerProcess.Run("export", "--weights", weights, "--out", output);

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(weights, line);
        Assert.Contains("'layer2.0.conv1.weight'", line);
        Assert.Contains("non-finite", line);
        AssertNoModelLeft(output);
    }

    [Fact]
    public void ExportOfWeightsThatGiveAnAllZeroEmbeddingFailsAndLeavesNoFile()
    {
        var weights = Weights("zero-neck.safetensors", state =>
        {
            state["fc.1.weight"].zero_();
            state["fc.1.bias"].zero_();
        });
        var output = Path.Combine(folder, "zero.onnx");

        var (code, stdout, stderr) = TrainerProcess.Run("export", "--weights", weights, "--out", output);

        Assert.Equal(1, code);
        Assert.Contains("parity batch 1", stdout); // parity itself passes: both sides give zeros
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains("norm 0.0000", line);
        Assert.Contains("unit length", line);
        AssertNoModelLeft(output);
    }

    [Fact]
    public void ExportToAnExistingFolderFailsWithOneLineAndLeavesNoTemporaryFile()
    {
        var weights = Weights("ok.safetensors", _ => { });
        var output = Directory.CreateDirectory(Path.Combine(folder, "existing")).FullName;

        var (code, _, stderr) = TrainerProcess.Run("export", "--weights", weights, "--out", output);

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(output, line);
        Assert.Contains("folder", line);
        Assert.False(File.Exists(output + ".tmp"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void ExportOfAGarbagePthSaysItIsNotAReadableStateDict()
    {
        var weights = Path.Combine(folder, "garbage.pth");
        File.WriteAllText(weights, "this is not a checkpoint");
        var output = Path.Combine(folder, "garbage.onnx");

        var (code, _, stderr) = TrainerProcess.Run("export", "--weights", weights, "--out", output);

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(weights, line);
        Assert.Contains("not a readable state_dict", line);
        Assert.DoesNotContain("old PyTorch format", line);
        AssertNoModelLeft(output);
    }

    [Theory]
    [InlineData("[-1, 4]", "16", "invalid shape")]
    [InlineData("[1000000000000, 1000000000000]", "16", "needs more than")]
    [InlineData("[4]", "4000", "outside the")]
    public void ExportOfASafetensorsFileWithABadHeaderFailsBeforeLibtorchReadsIt(string shape, string end, string reason)
    {
        var weights = Path.Combine(folder, "bad-header.safetensors");
        var header = Encoding.UTF8.GetBytes($"{{\"fc.0.weight\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,{end}]}}}}");
        using (var stream = File.Create(weights))
        {
            stream.Write(BitConverter.GetBytes((ulong)header.Length));
            stream.Write(header);
            stream.Write(new byte[16]);
        }

        var (code, _, stderr) = TrainerProcess.Run("export", "--weights", weights, "--out", Path.Combine(folder, "bad.onnx"));

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(weights, line);
        Assert.Contains("'fc.0.weight'", line);
        Assert.Contains(reason, line);
    }

    [Fact]
    public void ExportWithBothWeightOptionsIsAUsageErrorWithTheErrorPrefix()
    {
        var (code, _, stderr) = TrainerProcess.Run("export", "--weights", "a.pth", "--imagenet-weights", "b.pth", "--out", Path.Combine(folder, "x.onnx"));

        Assert.Equal(2, code);
        Assert.Contains("exactly one of --weights", TrainerProcess.AssertOneErrorLine(stderr));
    }

    private void AssertNoModelLeft(string output)
    {
        Assert.False(File.Exists(output), $"{output} was left behind");
        Assert.False(File.Exists(output + ".tmp"), $"{output}.tmp was left behind");
        Assert.False(File.Exists(Path.ChangeExtension(output, ".card.json")));
    }

    // A random-initialised SA-Enc resnet18 state_dict, edited by change, saved as safetensors.
    private string Weights(string name, Action<Dictionary<string, Tensor>> change)
    {
        var path = Path.Combine(folder, name);
        manual_seed(5);
        using var encoder = new SaEncoder(Backbone.ResNet18);
        using (no_grad())
        {
            change(encoder.state_dict());
        }

        ImageNetInitialisation.SaveSafetensors(encoder, path);
        return path;
    }
}
