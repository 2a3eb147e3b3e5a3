using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Export;

/// <summary>One small export (resnet18, random weights, seed 3) shared by the export tests.</summary>
public sealed class ExportedModelFixture : IDisposable
{
    public ExportedModelFixture()
    {
        Folder = Directory.CreateTempSubdirectory("sanreid-export-").FullName;
        OnnxPath = Path.Combine(Folder, "test-model.onnx");
        manual_seed(3);
        Encoder = new SaEncoder(Backbone.ResNet18);
        Encoder.eval();
        var log = new StringWriter();
        Parity = ModelExport.Export(Encoder, Card("test-model"), OnnxPath, log);
        Log = log.ToString();
    }

    public string Folder { get; }

    public string OnnxPath { get; }

    public SaEncoder Encoder { get; }

    public IReadOnlyList<ParityResult> Parity { get; }

    public string Log { get; }

    public static ModelCard Card(string name) => new()
    {
        Name = name,
        Backbone = "resnet18",
        Architecture = "test",
        EmbeddingSize = SaEncoder.EmbeddingSize,
        TrainingData = "none",
        Scores = "none",
        TrainedForReid = false,
        WeightsSource = "random (test)",
        NeckInit = "random",
        Notice = "test export, NOT trained for re-ID",
    };

    public void Dispose()
    {
        Encoder.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
