namespace SanReid.Trainer.Tests.Cli;

/// <summary>`import-imagenet` and `default-model` given a broken ResNet18.onnx: one error line naming that file, exit 1.</summary>
public sealed class ImportImageNetErrorTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-import-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("import-imagenet", "--out", "x.safetensors")]
    [InlineData("default-model", "--out", "x.onnx")]
    public void AnEmptyOnnxFileIsReportedByName(string command, string option, string output)
    {
        // The sibling ResNetPrepOnnx/ exists, so only the file itself can be blamed.
        var onnx = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "ResNet18Onnx")).FullName, "ResNet18.onnx");
        File.WriteAllBytes(onnx, []);
        var prep = Directory.CreateDirectory(Path.Combine(folder, "ResNetPrepOnnx")).FullName;
        File.WriteAllBytes(Path.Combine(prep, "ResNetPreprocess.onnx"), []);

        var (code, _, stderr) = TrainerProcess.Run(command, "--onnx", onnx, option, Path.Combine(folder, output));

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(onnx, line);
        Assert.Contains("not a readable ONNX model", line);
        Assert.False(File.Exists(Path.Combine(folder, output)));
    }

    [Fact]
    public void AGarbageOnnxFileIsBlamedBeforeTheMissingPreprocessingGraph()
    {
        var onnx = Path.Combine(folder, "garbage.onnx");
        File.WriteAllText(onnx, "garbage, not protobuf");

        var (code, _, stderr) = TrainerProcess.Run("import-imagenet", "--onnx", onnx, "--out", Path.Combine(folder, "x.safetensors"));

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(onnx, line);
        Assert.DoesNotContain("ResNetPreprocess", line);
    }
}
