using System.CommandLine;
using System.Globalization;
using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Inference;
using SanReid.Trainer.Model;
using SanReid.Trainer.Training;
using SanReid.Trainer.Weights;
using static TorchSharp.torch;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>compact</c>: the shipped form of trained weights: SA-Enc inference tensors only (<see cref="CompactWeights"/>),
/// float16 by default, plus <c>&lt;stem&gt;.card-facts.json</c> (<see cref="CardFacts"/>: backbone, training size,
/// training data, recipe, scores) that <c>default-model --weights</c> and <c>export</c> read.
/// </summary>
internal static class CompactCommand
{
    public static Command Create()
    {
        var weights = new Option<FileInfo>("--weights") { Description = "SA-Enc state_dict: a run's encoder.safetensors (classifier and optimizer state are left out).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Output .safetensors, e.g. models/sanreid-resnet18-synth.fp16.safetensors; the card facts go to <stem>.card-facts.json beside it.", Required = true };
        var backbone = new Option<string?>("--backbone") { Description = "resnet18 or resnet50 (default: the run's config.json, else resnet18)." };
        backbone.AcceptOnlyFromAmong("resnet18", "resnet50");
        var dtype = new Option<string>("--dtype") { Description = "float16 (default; BatchNorm running statistics stay float32) or float32.", DefaultValueFactory = _ => "float16" };
        dtype.AcceptOnlyFromAmong("float16", "float32");
        var card = new CardOptions();
        var command = new Command("compact",
            "Write an SA-Enc's inference weights (backbone + neck, no classifier, no optimizer state) as float16 safetensors, with its card facts " +
            "(training size, training data, recipe, scores) in <stem>.card-facts.json: the form in which a trained model is committed under models/.");
        foreach (Option option in new Option[] { weights, output, backbone, dtype })
        {
            command.Options.Add(option);
        }

        card.AddTo(command);
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var outPath = OutputPaths.RequireFile(parse.GetValue(output)!.FullName, "--out");
            if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"--out '{outPath}' must end with .safetensors.");
            }

            var weightsPath = parse.GetValue(weights)!.FullName;
            if (Path.GetFullPath(weightsPath) == outPath)
            {
                throw new UsageException("--out must differ from --weights.");
            }

            var known = card.Provenance(parse, weightsPath);
            var kind = BackboneNames.Parse(parse.GetValue(backbone) ?? known.Backbone ?? "resnet18");
            var (height, width) = card.Size(parse, known, Console.Out);
            var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(weightsPath)));
            var source = known.Facts?.WeightsSource ?? ModelCard.FileSource(weightsPath, string.IsNullOrEmpty(folder) ? null : $"(folder {folder})");
            var facts = card.Facts(parse, known, kind.Name(), height, width, source);

            using var encoder = new SaEncoder(kind);
            RunFolder.LoadEncoder(encoder, weightsPath);
            encoder.eval();
            var type = parse.GetValue(dtype) == "float32" ? ScalarType.Float32 : ScalarType.Float16;
            var (count, bytes) = CompactWeights.Write(encoder, outPath, type);
            var factsPath = CardFacts.PathFor(outPath);
            facts.Save(factsPath);

            // What the compaction costs: the same random crops through the original and the reloaded weights.
            using var reloaded = new SaEncoder(kind);
            RunFolder.LoadEncoder(reloaded, outPath);
            reloaded.eval();
            var crops = new byte[4 * height * width * 3];
            new Random(1501).NextBytes(crops);
            var before = TorchEmbedder.Embed(encoder, crops, 4, height, width);
            var after = TorchEmbedder.Embed(reloaded, crops, 4, height, width);
            float worst = 0;
            for (int i = 0; i < before.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(before[i] - after[i]));
            }

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"wrote {outPath}: {count} tensors, {bytes / 1e6:F1} MB ({parse.GetValue(dtype)}), input {height}x{width}"));
            Console.WriteLine(string.Create(inv, $"embeddings of 4 random {height}x{width} crops, float32 weights vs reloaded {parse.GetValue(dtype)}: max |diff| {worst:E2}"));
            Console.WriteLine($"card facts: {factsPath}");
            return 0;
        }));
        return command;
    }
}
