using System.CommandLine;
using System.Diagnostics;
using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>default-model</c>: import-imagenet + export in one go. The SA-Enc resnet18 with the packaged ImageNet weights and a
/// neck initialised from a fixed seed; the model card says plainly that it is not trained for re-ID. With
/// <c>--weights</c>, instead the export of a committed compact weights file (<c>compact</c>'s output) with the facts
/// of its <c>&lt;stem&gt;.card-facts.json</c>, at its training size. Called by scripts/ensure-model.sh.
/// </summary>
internal static class DefaultModelCommand
{
    /// <summary>Seed of the neck initialisation of the default model.</summary>
    public const long DefaultSeed = 0;

    /// <summary>The ImageNet model's path (relative to the working folder).</summary>
    public const string ImageNetModelPath = "models/sanreid-resnet18-imagenet.onnx";

    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out")
        {
            Description = $"ONNX file to write (default: {ImageNetModelPath}, or with --weights models/<stem>.onnx).",
        };
        var weights = new Option<FileInfo?>("--weights")
        {
            Description = "Compact SA-Enc weights (compact's output, e.g. models/sanreid-resnet18-synth.fp16.safetensors) with <stem>.card-facts.json beside them: export those instead of the ImageNet model.",
        };
        var onnx = new Option<FileInfo?>("--onnx") { Description = "ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 (default: the restored package)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the random 512-d neck (with --neck random).", DefaultValueFactory = _ => DefaultSeed };
        var neck = new Option<string>("--neck")
        {
            Description = "Untrained neck: identity (embedding = pooled ImageNet feature) or random (seeded Linear, as training starts).",
            DefaultValueFactory = _ => "identity",
        };
        neck.AcceptOnlyFromAmong("identity", "random");
        var flip = new Option<bool>("--flip")
        {
            Description = "Flip test-time augmentation inside the graph (crop and mirror averaged, then L2-normalised); the card says flip_tta true.",
        };

        var command = new Command("default-model",
            "Create the default model: SA-Enc resnet18 initialised from the packaged ImageNet ResNet-18 (identity neck by default), exported to ONNX with its model card. ImageNet-initialised, NOT trained for re-ID.");
        command.Options.Add(output);
        command.Options.Add(weights);
        command.Options.Add(onnx);
        command.Options.Add(seed);
        command.Options.Add(neck);
        command.Options.Add(flip);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            if (parseResult.GetValue(weights) is { } compact)
            {
                var path = parseResult.GetValue(output)?.FullName
                           ?? Path.Combine("models", CardFacts.StemOf(compact.FullName) + ".onnx");
                FromCompactWeights(compact.FullName, OutputPaths.RequireFile(path, "--out"), parseResult.GetValue(flip));
                Console.WriteLine($"default model done in {clock.Elapsed.TotalSeconds:F1} s");
                return 0;
            }

            var outPath = OutputPaths.RequireFile(parseResult.GetValue(output)?.FullName ?? ImageNetModelPath, "--out");
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
                TrainingInputSize = "224x224 (ImageNet classification)",
                Scores = "none (not evaluated for re-ID)",
                TrainedForReid = false,
                WeightsSource = parseResult.GetValue(onnx) is null ? ModelCard.PackagedResNet18Source : ModelCard.FileSource(onnxPath, "(given with --onnx)"),
                NeckInit = identityNeck
                    ? "identity (Linear = I, bias 0; BatchNorm1d weight 1, bias 0, running mean 0, var 1): the embedding is the L2-normalised pooled ImageNet feature"
                    : $"random, torch seed {s} (Linear N(0, 0.01), zero bias; BatchNorm1d weight 1, bias 0, running mean 0, var 1)",
                FlipTta = parseResult.GetValue(flip),
                Notice = "ImageNet-initialised, NOT trained for re-ID. Embeddings reflect generic ImageNet features; " +
                         "expect weak person re-identification until an SA-Enc trained on re-ID data replaces this model.",
            };
            ModelExport.Export(encoder, card, outPath, Console.Out);
            Console.WriteLine($"default model done in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Exports compact weights with the facts of their card-facts file, at the training size the facts give.
    /// </summary>
    /// <exception cref="InvalidDataException">The weights have no card facts beside them, or the facts are unreadable.</exception>
    /// <param name="weightsPath">Compact weights with their card facts beside them.</param>
    /// <param name="outPath">ONNX file to write.</param>
    /// <param name="flip">Export with flip test-time augmentation inside the graph (<see cref="ModelCard.FlipTta"/>).</param>
    internal static void FromCompactWeights(string weightsPath, string outPath, bool flip = false)
    {
        var factsPath = CardFacts.PathFor(weightsPath);
        if (!File.Exists(weightsPath))
        {
            throw new FileNotFoundException($"Weights file '{weightsPath}' not found.", weightsPath);
        }

        if (!File.Exists(factsPath))
        {
            throw new InvalidDataException(
                $"{weightsPath}: no card facts at '{factsPath}' (compact writes them); the model card cannot say what the weights are without them.");
        }

        var facts = CardFacts.Load(factsPath);
        var kind = BackboneNames.Parse(facts.Backbone);
        using var encoder = new SaEncoder(kind);
        Training.RunFolder.LoadEncoder(encoder, weightsPath);
        encoder.eval();
        var source = ModelCard.FileSource(weightsPath, $"(compact of {facts.WeightsSource})");
        var card = facts.ToCard(Path.GetFileNameWithoutExtension(outPath), ExportCommand.Architecture(kind),
            facts.InputHeight, facts.InputWidth, $"{facts.InputHeight}x{facts.InputWidth}", source, "from the weights file") with
        {
            CreatedBy = "sanreid-train default-model --weights",
            FlipTta = flip,
        };
        Console.WriteLine($"{Path.GetFileName(weightsPath)}: {facts.Backbone}, input {facts.InputHeight}x{facts.InputWidth}, trained on {facts.TrainingData}");
        ModelExport.Export(encoder, card, outPath, Console.Out);
    }
}
