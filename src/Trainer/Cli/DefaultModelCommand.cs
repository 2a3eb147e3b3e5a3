using System.CommandLine;
using System.Diagnostics;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>default-model</c>: import-imagenet + export in one go. The SA-Enc resnet18 with the packaged ImageNet weights and a
/// neck initialised from a fixed seed; the model card says plainly that it is not trained for re-ID. Called by
/// scripts/ensure-model.sh.
/// </summary>
internal static class DefaultModelCommand
{
    /// <summary>Seed of the neck initialisation of the default model.</summary>
    public const long DefaultSeed = 0;

    public static Command Create()
    {
        var output = new Option<FileInfo>("--out")
        {
            Description = "ONNX file to write.",
            DefaultValueFactory = _ => new FileInfo("models/sanreid-resnet18-imagenet.onnx"),
        };
        var onnx = new Option<FileInfo?>("--onnx") { Description = "ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 (default: the restored package)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the random 512-d neck (with --neck random).", DefaultValueFactory = _ => DefaultSeed };
        var neck = new Option<string>("--neck")
        {
            Description = "Untrained neck: identity (embedding = pooled ImageNet feature) or random (seeded Linear, as training starts).",
            DefaultValueFactory = _ => "identity",
        };
        neck.AcceptOnlyFromAmong("identity", "random");

        var command = new Command("default-model",
            "Create the default model: SA-Enc resnet18 initialised from the packaged ImageNet ResNet-18 (identity neck by default), exported to ONNX with its model card. ImageNet-initialised, NOT trained for re-ID.");
        command.Options.Add(output);
        command.Options.Add(onnx);
        command.Options.Add(seed);
        command.Options.Add(neck);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var outPath = OutputPaths.RequireFile(parseResult.GetValue(output)!.FullName, "--out");
            long s = parseResult.GetValue(seed);
            var onnxPath = PackagedImageNetModel.ResolveResNet18(parseResult.GetValue(onnx)?.FullName);
            using var encoder = ImageNetInitialisation.ResNet18FromPackage(onnxPath, s);
            bool identityNeck = parseResult.GetValue(neck) == "identity";
            if (identityNeck)
            {
                encoder.InitialiseNeckAsIdentity();
            }

            encoder.eval();
            var card = new ModelCard
            {
                Name = Path.GetFileNameWithoutExtension(outPath),
                Backbone = Backbone.ResNet18.Name(),
                Architecture = ExportCommand.Architecture(Backbone.ResNet18),
                EmbeddingSize = SaEncoder.EmbeddingSize,
                TrainingData = "ImageNet-1k classification (backbone only, from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1); no re-ID data",
                Scores = "none (not evaluated for re-ID)",
                TrainedForReid = false,
                WeightsSource = parseResult.GetValue(onnx) is null ? ModelCard.PackagedResNet18Source : ModelCard.FileSource(onnxPath, "(given with --onnx)"),
                NeckInit = identityNeck
                    ? "identity (Linear = I, bias 0; BatchNorm1d weight 1, bias 0, running mean 0, var 1): the embedding is the L2-normalised pooled ImageNet feature"
                    : $"random, torch seed {s} (Linear N(0, 0.01), zero bias; BatchNorm1d weight 1, bias 0, running mean 0, var 1)",
                Notice = "ImageNet-initialised, NOT trained for re-ID. Embeddings reflect generic ImageNet features; " +
                         "expect weak person re-identification until an SA-Enc trained on re-ID data replaces this model.",
            };
            ModelExport.Export(encoder, card, outPath, Console.Out);
            Console.WriteLine($"default model done in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
