using System.CommandLine;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;
using static TorchSharp.torch;

namespace SanReid.Trainer.Cli;

/// <summary><c>export</c>: an SA-Enc (trained, imported, or ImageNet-initialised) as the ONNX model contract.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "ONNX file to write; <name>.card.json is written next to it.", Required = true };
        var backbone = new Option<string>("--backbone") { Description = "resnet18 or resnet50.", DefaultValueFactory = _ => "resnet18" };
        backbone.AcceptOnlyFromAmong("resnet18", "resnet50");
        var weights = new Option<FileInfo?>("--weights")
        {
            Description = "SA-Enc state_dict (.safetensors or .pth) with backbone and neck, e.g. from import-imagenet or training.",
        };
        var imageNet = new Option<FileInfo?>("--imagenet-weights")
        {
            Description = "A torchvision ImageNet ResNet state_dict (.pth or .safetensors, fc.* ignored); the neck is random (--seed).",
        };
        var seed = new Option<long>("--seed") { Description = "Seed of the neck initialisation with --imagenet-weights.", DefaultValueFactory = _ => 0 };
        var trainingData = new Option<string>("--training-data") { Description = "Training data, for the model card.", DefaultValueFactory = _ => "unknown" };
        var scores = new Option<string>("--scores") { Description = "Re-ID scores, for the model card (e.g. \"Market-1501 Rank-1 0.90, mAP 0.75\").", DefaultValueFactory = _ => "none" };
        var trained = new Option<bool>("--trained-for-reid") { Description = "Set when the weights were trained for re-ID." };

        var command = new Command("export",
            "Export an SA-Enc to ONNX (input images uint8 [N,256,128,3] RGB, output embeddings float32 [N,512] L2-normalised), check parity TorchSharp vs ONNX Runtime on batches of 1, 2 and 7, and write the model card.");
        foreach (var option in new Option[] { output, backbone, weights, imageNet, seed, trainingData, scores, trained })
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var kind = BackboneNames.Parse(parseResult.GetValue(backbone)!);
            var weightsFile = parseResult.GetValue(weights);
            var imageNetFile = parseResult.GetValue(imageNet);
            if ((weightsFile is null) == (imageNetFile is null))
            {
                throw new UsageException("give exactly one of --weights (an SA-Enc state_dict) or --imagenet-weights (a torchvision ImageNet ResNet).");
            }

            var outPath = OutputPaths.RequireFile(parseResult.GetValue(output)!.FullName, "--out");
            SaEncoder encoder;
            string source;
            string neck;
            if (weightsFile is not null)
            {
                encoder = Loaded(new SaEncoder(kind), weightsFile.FullName, StateDictFiles.LoadEncoder);
                source = ModelCard.FileSource(weightsFile.FullName);
                neck = "from the weights file";
            }
            else
            {
                long s = parseResult.GetValue(seed);
                manual_seed(s);
                encoder = Loaded(new SaEncoder(kind), imageNetFile!.FullName, StateDictFiles.LoadBackbone);
                source = ModelCard.FileSource(imageNetFile.FullName, "(ImageNet backbone)");
                neck = $"random, torch seed {s} (Linear N(0, 0.01), zero bias; BatchNorm1d weight 1, bias 0, running mean 0, var 1)";
            }

            using (encoder)
            {
                encoder.eval();
                bool trainedForReid = parseResult.GetValue(trained);
                var card = new ModelCard
                {
                    Name = Path.GetFileNameWithoutExtension(outPath),
                    Backbone = kind.Name(),
                    Architecture = Architecture(kind),
                    EmbeddingSize = SaEncoder.EmbeddingSize,
                    TrainingData = parseResult.GetValue(trainingData)!,
                    Scores = parseResult.GetValue(scores)!,
                    TrainedForReid = trainedForReid,
                    WeightsSource = source,
                    NeckInit = neck,
                    Notice = trainedForReid
                        ? "SA-Enc trained for person re-identification."
                        : "NOT trained for re-ID: rankings reflect generic image similarity only.",
                };
                ModelExport.Export(encoder, card, outPath, Console.Out);
            }

            return 0;
        }));
        return command;
    }

    // Reads path and copies it into encoder; disposes the encoder when the file does not fit.
    private static SaEncoder Loaded(SaEncoder encoder, string path, Action<SaEncoder, IReadOnlyDictionary<string, Tensor>, string> load)
    {
        Dictionary<string, Tensor>? state = null;
        try
        {
            state = StateDictFiles.Read(path);
            load(encoder, state, path);
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in state?.Values ?? Enumerable.Empty<Tensor>())
            {
                t.Dispose();
            }
        }
    }

    /// <summary>One-line architecture text of the model card.</summary>
    internal static string Architecture(Backbone backbone) =>
        $"SA-Enc (SAN, AAAI 2020): {backbone.Name()} [{string.Join(",", backbone.Layers())}] " +
        $"{(backbone == Backbone.ResNet50 ? "Bottleneck" : "BasicBlock")}, last stride 1, global average pooling, " +
        $"neck Linear {backbone.FeatureChannels()}->512 + BatchNorm1d + ReLU, L2-normalised";
}
