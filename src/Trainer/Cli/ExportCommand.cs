using System.CommandLine;
using SanReid.Inference;
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
        var backbone = new Option<string?>("--backbone") { Description = "resnet18 or resnet50 (default: the run's config.json or card facts, else resnet18)." };
        backbone.AcceptOnlyFromAmong("resnet18", "resnet50");
        var weights = new Option<FileInfo?>("--weights")
        {
            Description = "SA-Enc state_dict (.safetensors or .pth, float32 or float16) with backbone and neck: a run's encoder.safetensors, compact's output, import-imagenet's output.",
        };
        var imageNet = new Option<FileInfo?>("--imagenet-weights")
        {
            Description = "A torchvision ImageNet ResNet state_dict (.pth or .safetensors, fc.* ignored); the neck is random (--seed).",
        };
        var seed = new Option<long>("--seed") { Description = "Seed of the neck initialisation with --imagenet-weights.", DefaultValueFactory = _ => 0 };
        var flip = new Option<bool>("--flip")
        {
            Description = "Flip test-time augmentation inside the graph: embed the crop and its horizontal mirror, average the two features and L2-normalise (as eval --flip); the card says flip_tta true. Twice the compute per crop.",
        };
        var card = new CardOptions();

        var command = new Command("export",
            "Export an SA-Enc to ONNX (input images uint8 [N,H,W,3] RGB at the training size from the run's config.json, " +
            "or --height/--width, default 256x128; output embeddings float32 [N,512] L2-normalised), check parity TorchSharp vs " +
            "ONNX Runtime on batches of 1, 2 and 7, and write the model card.");
        foreach (var option in new Option[] { output, backbone, weights, imageNet, seed, flip })
        {
            command.Options.Add(option);
        }

        card.AddTo(command);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var weightsFile = parseResult.GetValue(weights);
            var imageNetFile = parseResult.GetValue(imageNet);
            if ((weightsFile is null) == (imageNetFile is null))
            {
                throw new UsageException("give exactly one of --weights (an SA-Enc state_dict) or --imagenet-weights (a torchvision ImageNet ResNet).");
            }

            var outPath = OutputPaths.RequireFile(parseResult.GetValue(output)!.FullName, "--out");
            var known = card.Provenance(parseResult, weightsFile?.FullName);
            var kind = BackboneNames.Parse(parseResult.GetValue(backbone) ?? known.Backbone ?? "resnet18");
            var (height, width) = card.Size(parseResult, known, Console.Out);
            SaEncoder encoder;
            string source;
            string neck;
            if (weightsFile is not null)
            {
                encoder = Loaded(new SaEncoder(kind), weightsFile.FullName, StateDictFiles.LoadEncoder);
                source = known.Facts is { } f
                    ? ModelCard.FileSource(weightsFile.FullName, $"(compact of {f.WeightsSource})")
                    : ModelCard.FileSource(weightsFile.FullName);
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
                var facts = card.Facts(parseResult, known, kind.Name(), height, width, source);
                var modelCard = facts.ToCard(Path.GetFileNameWithoutExtension(outPath), Architecture(kind), height, width, known.SizeText, source, neck) with
                {
                    FlipTta = parseResult.GetValue(flip),
                };
                ModelExport.Export(encoder, modelCard, outPath, Console.Out);
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
