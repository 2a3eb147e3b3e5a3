using System.Text.Json;
using SanReid.Inference;
using SanReid.Trainer.Export.Quantization;
using SanReid.Trainer.Tests.Cli;

namespace SanReid.Trainer.Tests.Export;

/// <summary>
/// Issue 14: the shipped default model (128x64) quantized end to end on a few synthetic people, the card's int8 facts,
/// the agreement check refusing a deliberately broken quantization, and the quantizer's arithmetic.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class QuantizationTests(QuantizationTests.Crops crops) : IClassFixture<QuantizationTests.Crops>
{
    /// <summary>A small synthetic calibration set (8 people, about 80 crops) and a scratch folder, made once.</summary>
    public sealed class Crops : IDisposable
    {
        public Crops()
        {
            Folder = Directory.CreateTempSubdirectory("sanreid-quant-").FullName;
            Calibration = Path.Combine(Folder, "calibration");
            var (code, _, stderr) = TrainerProcess.Run("synth", "reid", "--out", Calibration, "--train-ids", "8", "--test-ids", "1", "--seed", "3");
            Assert.True(code == 0, stderr);
        }

        public string Folder { get; }

        public string Calibration { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    private static string ShippedModel => Path.Combine(RepositoryRoot(), "models", "sanreid-resnet18-synth.onnx");

    [Fact]
    public void TheShippedModelQuantizesEndToEndAndItsCardRecordsPrecisionCalibrationAndAgreement()
    {
        string output = Path.Combine(crops.Folder, "synth-int8.onnx");
        var (code, stdout, stderr) = TrainerProcess.Run("quantize", "--model", ShippedModel, "--calibration", crops.Calibration, "--out", output,
            "--calibration-count", "24", "--held-out", "20", "--real-crops", "none");

        Assert.True(code == 0, stdout + stderr);
        using var int8 = new OnnxEmbedder(output);
        using var fp32 = new OnnxEmbedder(ShippedModel);
        Assert.Equal((fp32.Height, fp32.Width, fp32.Dimension), (int8.Height, int8.Width, int8.Dimension));
        Assert.Equal("int8", int8.Metadata["precision"]);
        Assert.True(new FileInfo(output).Length < new FileInfo(ShippedModel).Length / 3, "int8 weights take a quarter of the float32 bytes");

        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(output)));
        var root = card.RootElement;
        Assert.Equal("int8", root.GetProperty("precision").GetString());
        Assert.Equal("synth-int8", root.GetProperty("name").GetString());
        var q = root.GetProperty("quantization");
        Assert.Equal("sanreid-resnet18-synth.onnx", q.GetProperty("source_model").GetString());
        Assert.Equal(ModelFingerprint.Compute(ShippedModel), q.GetProperty("source_fingerprint").GetString());
        var calibration = q.GetProperty("calibration");
        Assert.Equal("entropy", calibration.GetProperty("method").GetString());
        Assert.Equal(24, calibration.GetProperty("count").GetInt32());
        Assert.InRange(calibration.GetProperty("held_out").GetInt32(), 10, 20);
        var agreement = q.GetProperty("held_out_agreement");
        Assert.InRange(agreement.GetProperty("mean_cosine").GetDouble(), 0.99, 1.0);
        Assert.InRange(agreement.GetProperty("identity_top1_agreement").GetDouble(), 0.98, 1.0);
        // ResNet-18 [2,2,2,3]: 20 convs + 2 downsample convs, the neck Gemm, 9 residual Adds; every BatchNorm folded.
        Assert.Equal(22, q.GetProperty("quantized_convs").GetInt32());
        Assert.Equal(1, q.GetProperty("quantized_gemms").GetInt32());
        Assert.Equal(9, q.GetProperty("quantized_adds").GetInt32());
        Assert.Equal(q.GetProperty("comparable_with_fp32").GetBoolean(), root.TryGetProperty("embedding_space", out var space));
        if (q.GetProperty("comparable_with_fp32").GetBoolean())
        {
            Assert.Equal(ModelFingerprint.Compute(ShippedModel), space.GetString());
        }

        // The card and the ONNX metadata say the same.
        Assert.Equal(q.GetRawText().Length > 0, int8.Metadata.ContainsKey("quantization"));
        Assert.Contains("\"method\":\"entropy\"", int8.Metadata["quantization"]);
    }

    [Fact]
    public void ABrokenQuantizationFailsTheAgreementCheckAndWritesNothing()
    {
        string output = Path.Combine(crops.Folder, "broken-int8.onnx");
        var log = new StringWriter();

        // Ranges 1000 times too narrow: nearly every activation saturates, as an absurd scale would make it.
        var error = Assert.Throws<QuantizationAgreementException>(() => ModelQuantization.Quantize(new QuantizationOptions
        {
            ModelPath = ShippedModel,
            CalibrationFolder = crops.Calibration,
            OutputPath = output,
            CalibrationCount = 16,
            HeldOutCount = 20,
            RangeScale = 1e-3,
        }, log));

        Assert.Contains("mean cosine(int8, fp32)", error.Message);
        Assert.Contains("was not written", error.Message);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".tmp"));
        Assert.False(File.Exists(ModelCard.PathFor(output)));
    }

    [Fact]
    public void TheCommandRefusesToCheckRankOneOnItsOwnCalibrationCrops()
    {
        var (code, _, stderr) = TrainerProcess.Run("quantize", "--model", ShippedModel, "--calibration", crops.Calibration,
            "--out", Path.Combine(crops.Folder, "x.onnx"), "--real-crops", Path.Combine(crops.Calibration, "bounding_box_train"));

        Assert.Equal(2, code);
        Assert.Contains("overlap", TrainerProcess.AssertOneErrorLine(stderr));
    }

    [Fact]
    public void ActivationParametersKeepZeroExact()
    {
        // ReLU output [0, 2.55]: scale 2.55 / 255 = 0.01, zero point 0 (so QuantizeLinear is the ReLU).
        var relu = QuantizationParameters.Activation(new ActivationRange(0f, 2.55f));
        Assert.Equal(0.01f, relu.Scale, 6);
        Assert.Equal(0, relu.ZeroPoint);
        // [-1, 3]: scale 4 / 255, zero point round(1 / (4 / 255)) = round(63.75) = 64.
        var signed = QuantizationParameters.Activation(new ActivationRange(-1f, 3f));
        Assert.Equal(4f / 255, signed.Scale, 6);
        Assert.Equal(64, signed.ZeroPoint);
        // [0.5, 1] is widened to [0, 1] so that 0 stays representable.
        Assert.Equal(0, QuantizationParameters.Activation(new ActivationRange(0.5f, 1f)).ZeroPoint);
    }

    [Fact]
    public void WeightsArePerChannelSymmetricInt8()
    {
        // Two channels of two weights: max |w| 0.5 and 2 give scales 0.5 / 127 and 2 / 127; 0.25 -> round(63.5) = 64.
        var (values, scales) = QuantizationParameters.Weights([0.5f, 0.25f, -2f, 1f], 2, i => i / 2);
        Assert.Equal([0.5f / 127, 2f / 127], scales);
        Assert.Equal(new sbyte[] { 127, 64, -127, 64 }, values);
    }

    [Fact]
    public void PercentileRangeClipsOnlyTheTail()
    {
        // 10,000 values in bins 0..99 (width 1) plus one outlier in bin 999: the 99.99th percentile drops the outlier.
        var histogram = new long[1000];
        for (int i = 0; i < 100; i++)
        {
            histogram[i] = 100;
        }

        histogram[999] = 1;
        var (low, high) = ActivationCalibration.PercentileRange(histogram, 0, 1, 99.99);
        Assert.Equal(0, low);
        Assert.Equal(100, high);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("SanReid.sln not found above the test output folder.");
    }
}
