using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Export;

/// <summary>Exports that must fail: NaN parity, degenerate embeddings, an output path that is a folder. No model is left.</summary>
public sealed class ModelExportFailureTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-export-fail-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void AnEncoderWithANaNWeightFailsParityInsteadOfPassingIt()
    {
        using var encoder = Encoder(state => state["layer4.1.conv2.weight"][0, 0, 0, 0] = float.NaN);
        var path = Path.Combine(folder, "nan.onnx");
        var log = new StringWriter();

        var e = Assert.Throws<ExportParityException>(() => ModelExport.Export(encoder, ExportedModelFixture.Card("nan"), path, log));

        Assert.Contains("NaN", log.ToString()); // parity printed NaN ...
        Assert.Contains("differs from TorchSharp by NaN", e.Message); // ... and NaN is a failure, not a pass
        AssertNothingWritten(path);
    }

    [Fact]
    public void AnEncoderWhoseNeckOutputsZerosFailsTheUnitNormCheck()
    {
        using var encoder = Encoder(state =>
        {
            state["fc.1.weight"].zero_();
            state["fc.1.bias"].zero_();
        });
        var path = Path.Combine(folder, "zero.onnx");

        var e = Assert.Throws<ExportParityException>(() => ModelExport.Export(encoder, ExportedModelFixture.Card("zero"), path, TextWriter.Null));

        Assert.Contains("has norm 0.0000", e.Message);
        AssertNothingWritten(path);
    }

    [Fact]
    public void AFailedExportLeavesAnExistingModelAtThePathAsItWas()
    {
        using var encoder = Encoder(state => state["fc.1.weight"].zero_().add_(float.PositiveInfinity));
        var path = Path.Combine(folder, "existing.onnx");
        File.WriteAllText(path, "the previous model");

        Assert.Throws<ExportParityException>(() => ModelExport.Export(encoder, ExportedModelFixture.Card("existing"), path, TextWriter.Null));

        Assert.Equal("the previous model", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void AnOutputPathThatIsAFolderFailsBeforeWritingAnything()
    {
        using var encoder = Encoder(_ => { });
        var path = Directory.CreateDirectory(Path.Combine(folder, "model.onnx")).FullName;

        var e = Assert.Throws<IOException>(() => ModelExport.Export(encoder, ExportedModelFixture.Card("dir"), path, TextWriter.Null));

        Assert.Contains("existing folder", e.Message);
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(path));
    }

    private static SaEncoder Encoder(Action<Dictionary<string, Tensor>> change)
    {
        manual_seed(8);
        var encoder = new SaEncoder(Backbone.ResNet18);
        using (no_grad())
        {
            change(encoder.state_dict());
        }

        encoder.eval();
        return encoder;
    }

    private static void AssertNothingWritten(string path)
    {
        Assert.False(File.Exists(path), $"{path} was written");
        Assert.False(File.Exists(path + ".tmp"), $"{path}.tmp was left behind");
        Assert.False(File.Exists(ModelCard.PathFor(path)));
    }
}
