using System.Text.Json;
using SanReid.Inference;
using SanReid.Synthesis;
using SanReid.Trainer.Data;
using SanReid.Trainer.Export;
using SanReid.Trainer.Inference;
using SanReid.Trainer.Model;
using SanReid.Trainer.Tests.Cli;
using SanReid.Trainer.Tests.Training;
using SanReid.Trainer.Training;
using SanReid.Trainer.Weights;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Export;

/// <summary>A tiny baseline run at 128x64 (resnet18, one step on a synthetic set): runs/x/config.json + encoder.safetensors.</summary>
public sealed class TinyRunFixture : IDisposable
{
    public TinyRunFixture()
    {
        TorchSharp.torch.set_num_threads(1);
        Root = Directory.CreateTempSubdirectory("sanreid-ship-").FullName;
        var data = Path.Combine(Root, "data");
        ReidWriter.Write(data, new ReidOptions(TrainIds: 4, TestIds: 2, Cameras: 2, Seed: 9));
        var dataset = MarketLayoutDataset.Load(data, requireTrain: true, requireTest: false);
        var config = TrainingTestData.Tiny("height=128", "width=64", "epochs=1", "maxStepsPerEpoch=1");
        Run = new RunFolder(Path.Combine(Root, "runs", "tiny"));
        using var trainer = new ReidTrainer(config, TrainMode.Baseline, dataset, null, Run, CPU, null, resume: false);
        trainer.Fit();
    }

    public string Root { get; }

    public RunFolder Run { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[Collection(ConsoleCollection.Name)]
public sealed class ShippedModelTests(TinyRunFixture run, ITestOutputHelper output) : IClassFixture<TinyRunFixture>, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-ship-out-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ExportOfARunAt128x64TakesItsSizeFromTheRunConfigAndPassesParity()
    {
        var onnx = Path.Combine(folder, "tiny.onnx");

        var (code, stdout) = ModelCommandsTests.Run("export", "--weights", run.Run.EncoderFile, "--out", onnx, "--trained-for-reid",
            "--training-data", "synthetic only: test set");
        output.WriteLine(stdout);

        Assert.Equal(0, code);
        Assert.Contains("parity batch 7 (128x64)", stdout);
        using var embedder = new OnnxEmbedder(onnx);
        Assert.Equal((128, 64), (embedder.Height, embedder.Width));
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        Assert.Equal(["N", "128", "64", "3"], dims.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal("[N,128,64,3]", embedder.Metadata["input_shape"]);
        Assert.Equal("128x64", embedder.Metadata["input_size"]);
        Assert.Equal("128x64", embedder.Metadata["training_input_size"]);
        Assert.Contains("[N,128,64,3]", embedder.Metadata["preprocessing"]);
        // 4 train identities in the run's checkpoint/state.json; the recipe line is the run's config.
        Assert.Equal("4", embedder.Metadata["training_identities"]);
        Assert.Contains("run tiny/config.json: resnet18 128x64", embedder.Metadata["recipe"]);
    }

    [Fact]
    public void ExplicitSizeWinsOverTheRunConfigWithAWarningAndTheCardRecordsBoth()
    {
        var onnx = Path.Combine(folder, "at-256.onnx");

        var (code, stdout) = ModelCommandsTests.Run("export", "--weights", run.Run.EncoderFile, "--out", onnx, "--height", "256", "--width", "128");

        Assert.Equal(0, code);
        Assert.Contains("warning: exporting at 256x128, but the weights were trained at 128x64", stdout);
        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(onnx)));
        Assert.Equal("256x128", card.RootElement.GetProperty("input_size").GetString());
        Assert.Equal("128x64", card.RootElement.GetProperty("training_input_size").GetString());
    }

    [Theory]
    [InlineData("--height", "128")]
    [InlineData("--height", "100", "--width", "64")]
    public void AHalfOrUnsupportedSizeIsAUsageError(params string[] size)
    {
        var onnx = Path.Combine(folder, "bad.onnx");

        var (code, stdout) = ModelCommandsTests.Run(["export", "--weights", run.Run.EncoderFile, "--out", onnx, .. size]);

        Assert.Equal(2, code);
        Assert.StartsWith("error:", stdout);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void CompactWritesOnlyInferenceTensorsInFloat16AndItsEmbeddingsStayCloseToFloat32()
    {
        var compact = Path.Combine(folder, "tiny-synth.fp16.safetensors");

        var (code, stdout) = ModelCommandsTests.Run("compact", "--weights", run.Run.EncoderFile, "--out", compact, "--trained-for-reid",
            "--training-data", "synthetic only: sanreid-train synth reid --train-ids 4 --test-ids 2 --seed 9", "--training-images", "32",
            "--recipe", "TrainingTestData.Tiny at 128x64");
        output.WriteLine(stdout);

        Assert.Equal(0, code);
        var raw = Safetensors.LoadStateDict(compact);
        try
        {
            Assert.DoesNotContain(raw.Keys, k => k.StartsWith("classifier.", StringComparison.Ordinal) || k.EndsWith("num_batches_tracked", StringComparison.Ordinal));
            Assert.Equal(ScalarType.Float16, raw["layer4.1.conv2.weight"].dtype);
            Assert.Equal(ScalarType.Float16, raw["fc.0.weight"].dtype);
            Assert.Equal(ScalarType.Float32, raw["bn1.running_var"].dtype);
        }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }

        // Data bytes: 2 per weight/bias, 4 per BatchNorm running statistic (SA-Enc resnet18 [2,2,2,3] + neck: about
        // 16 M values, 32 MB), plus a JSON header of a few kB; float32 weights would be twice that.
        using var full = new SaEncoder(Backbone.ResNet18);
        long dataBytes = full.state_dict().Where(p => CompactWeights.IsInferenceKey(p.Key))
            .Sum(p => p.Value.numel() * (p.Key.EndsWith("running_mean") || p.Key.EndsWith("running_var") ? 4 : 2));
        output.WriteLine($"compact file {new FileInfo(compact).Length} bytes, tensor data {dataBytes} bytes");
        Assert.InRange(new FileInfo(compact).Length, dataBytes, dataBytes + 65_536);
        Assert.Equal(ScalarType.Float32, StateDictFiles.Read(compact)["fc.0.weight"].dtype);

        using var half = new SaEncoder(Backbone.ResNet18);
        RunFolder.LoadEncoder(full, run.Run.EncoderFile);
        RunFolder.LoadEncoder(half, compact);
        full.eval();
        half.eval();
        var crops = new byte[3 * 128 * 64 * 3];
        new Random(4).NextBytes(crops);
        var a = TorchEmbedder.Embed(full, crops, 3, 128, 64);
        var b = TorchEmbedder.Embed(half, crops, 3, 128, 64);
        float worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"float32 vs float16 weights, max |diff| of unit embeddings: {worst:E2}");
        // float16 keeps 11 significant bits (relative error <= 2^-11 = 4.9e-4 per weight); through ~20 layers the
        // unit-length embedding moves by a few 1e-3 at most. Random noise would differ by ~0.1 per component.
        Assert.True(worst < 1e-2f, $"max |diff| {worst}");
        Assert.True(worst > 0, "float16 weights should not reproduce float32 bit for bit");

        using var facts = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "tiny-synth.card-facts.json")));
        Assert.Equal(128, facts.RootElement.GetProperty("input_height").GetInt32());
        Assert.Equal(4, facts.RootElement.GetProperty("training_identities").GetInt32());
    }

    [Fact]
    public void DefaultModelFromCompactWeightsServesTheirSizeAndItsCardNamesTheSyntheticSource()
    {
        var compact = Path.Combine(folder, "sanreid-resnet18-synth.fp16.safetensors");
        const string source = "synthetic only: sanreid-train synth reid --train-ids 4 --test-ids 2 --seed 9";
        Assert.Equal(0, ModelCommandsTests.Run("compact", "--weights", run.Run.EncoderFile, "--out", compact, "--trained-for-reid",
            "--training-data", source).ExitCode);
        var onnx = Path.Combine(folder, "sanreid-resnet18-synth.onnx");

        var (code, stdout) = ModelCommandsTests.Run("default-model", "--weights", compact, "--out", onnx);
        output.WriteLine(stdout);

        Assert.Equal(0, code);
        Assert.Contains("parity batch 7 (128x64)", stdout);
        using var embedder = new OnnxEmbedder(onnx);
        Assert.Equal((128, 64), (embedder.Height, embedder.Width));
        Assert.Equal(source, embedder.Metadata["training_data"]);
        Assert.Equal("true", embedder.Metadata["trained_for_reid"]);
        Assert.Contains("sanreid-resnet18-synth.fp16.safetensors (compact of encoder.safetensors (folder tiny))", embedder.Metadata["weights_source"]);
        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(onnx)));
        Assert.Equal(source, card.RootElement.GetProperty("training_data").GetString());
        Assert.Equal("SA-Enc trained for person re-identification.", card.RootElement.GetProperty("notice").GetString());
    }

    [Fact]
    public void TheCommittedDefaultWeightsLoadExportWithParityAndNameTheirSyntheticSource()
    {
        // models/sanreid-resnet18-synth.fp16.safetensors is the shipped default (issue 15): it must export at its
        // training size (128x64) with parity, and its card must say it saw synthetic people only.
        string? repo = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && repo is null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
            {
                repo = dir.FullName;
            }
        }

        var shipped = Path.Combine(repo!, "models", "sanreid-resnet18-synth.fp16.safetensors");
        Assert.True(File.Exists(shipped), $"{shipped} is committed");
        Assert.InRange(new FileInfo(shipped).Length, 10_000_000, 50_000_000); // float16 ResNet-18 SA-Enc: 32.4 MB
        var onnx = Path.Combine(folder, "shipped.onnx");
        File.Copy(Path.ChangeExtension(Path.ChangeExtension(shipped, null), null) + ".card-facts.json", Path.Combine(folder, "shipped.card-facts.json"));
        var weights = Path.Combine(folder, "shipped.fp16.safetensors");
        File.Copy(shipped, weights);

        var (code, stdout) = ModelCommandsTests.Run("default-model", "--weights", weights, "--out", onnx);
        output.WriteLine(stdout);

        Assert.Equal(0, code);
        Assert.Contains("parity batch 7 (128x64)", stdout);
        using var embedder = new OnnxEmbedder(onnx);
        Assert.Equal((128, 64), (embedder.Height, embedder.Width));
        Assert.StartsWith("synthetic people only: sanreid-train synth reid", embedder.Metadata["training_data"]);
        Assert.Equal("true", embedder.Metadata["trained_for_reid"]);
    }

    [Fact]
    public void DefaultModelFromWeightsWithoutCardFactsFailsNamingTheMissingFile()
    {
        var compact = Path.Combine(folder, "nofacts.fp16.safetensors");
        Assert.Equal(0, ModelCommandsTests.Run("compact", "--weights", run.Run.EncoderFile, "--out", compact).ExitCode);
        File.Delete(Path.Combine(folder, "nofacts.card-facts.json"));

        var (code, stdout) = ModelCommandsTests.Run("default-model", "--weights", compact, "--out", Path.Combine(folder, "x.onnx"));

        Assert.Equal(1, code);
        Assert.Contains("nofacts.card-facts.json", stdout);
        Assert.False(File.Exists(Path.Combine(folder, "x.onnx")));
    }

    [Fact]
    public void EvalCropsOfARunRanksAllAgainstAllAtTheTrainingSizeAndItsJsonFeedsTheCard()
    {
        var json = Path.Combine(folder, "crops.json");

        var (code, stdout) = ModelCommandsTests.Run("eval", "--weights", run.Run.EncoderFile, "--crops", Path.Combine(run.Root, "data"), "--json", json);
        output.WriteLine(stdout);

        Assert.Equal(0, code);
        Assert.Contains("(all vs all)", stdout);
        Assert.Contains("128x64", stdout);
        using (var report = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var r = report.RootElement;
            // synth reid puts every test identity in >= 2 cameras: every labelled crop of query/ + bounding_box_test/ is evaluated.
            Assert.Equal(0, r.GetProperty("skippedQueries").GetInt32());
            Assert.Equal(r.GetProperty("numCrops").GetInt32() - r.GetProperty("distractors").GetInt32() - r.GetProperty("junk").GetInt32(),
                r.GetProperty("evaluatedQueries").GetInt32());
            Assert.Equal(r.GetProperty("evaluatedQueries").GetInt32(), r.GetProperty("perQuery").GetArrayLength());
        }

        var onnx = Path.Combine(folder, "with-crops-scores.onnx");
        Assert.Equal(0, ModelCommandsTests.Run("export", "--weights", run.Run.EncoderFile, "--out", onnx, "--scores-json", json).ExitCode);
        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(onnx)));
        Assert.StartsWith("all-vs-all", card.RootElement.GetProperty("evaluation").GetProperty("protocol").GetString());
        Assert.Equal("data/query + data/bounding_box_test", card.RootElement.GetProperty("evaluation").GetProperty("data").GetString());
    }

    [Fact]
    public void ScoresJsonBecomesTheCardsStructuredEvaluation()
    {
        var scores = Path.Combine(folder, "scores.json");
        File.WriteAllText(scores, """
            {"protocol": "all-vs-all", "crops": ["/a/b/market-mini", "/x/san-pg-examples/images"], "evaluatedQueries": 40,
             "skippedQueries": 2, "numGallery": 99, "rank1": 0.5, "rank5": 0.75, "rank10": 0.8, "mAP": 0.25, "mINP": 0.125}
            """);
        var onnx = Path.Combine(folder, "scored.onnx");

        Assert.Equal(0, ModelCommandsTests.Run("export", "--weights", run.Run.EncoderFile, "--out", onnx, "--scores-json", scores).ExitCode);

        using var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(onnx)));
        var evaluation = card.RootElement.GetProperty("evaluation");
        Assert.Equal(0.25, evaluation.GetProperty("mAP").GetDouble());
        Assert.Equal(40, evaluation.GetProperty("queries").GetInt32());
        Assert.Equal("b/market-mini + san-pg-examples/images", evaluation.GetProperty("data").GetString());
        Assert.StartsWith("Rank-1 0.500, Rank-5 0.750, Rank-10 0.800, mAP 0.250, mINP 0.125 (all-vs-all on", card.RootElement.GetProperty("scores").GetString());
        using var embedder = new OnnxEmbedder(onnx);
        Assert.Contains("\"mAP\":0.25", embedder.Metadata["evaluation"]);
    }
}
