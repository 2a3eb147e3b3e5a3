using System.CommandLine;
using SanReid.Trainer.Data;
using SanReid.Trainer.Training;

namespace SanReid.Trainer.Cli;

/// <summary><c>train --mode baseline|san</c>: SA-Enc on a Market-layout re-ID dataset (see <see cref="ReidTrainer"/>).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var common = new TrainingOptions();
        var mode = new Option<string>("--mode") { Description = "baseline (ID + triplet) or san (adds the texture step: L1 + Triplet ReID through SA-Dec).", DefaultValueFactory = _ => "san" };
        var data = new Option<DirectoryInfo>("--data") { Description = "Dataset root in the Market-1501 layout (bounding_box_train, query, bounding_box_test).", Required = true };
        var textures = new Option<DirectoryInfo?>("--textures") { Description = "Pseudo-texture root with the images' relative names (from the textures command); san mode." };
        var substitute = new Option<string?>("--texture-folder-substitution") { Description = "Instead of --textures: the public code's rule IMAGEFOLDER:TEXTUREFOLDER (a path segment replaced)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder (checkpoint/, metrics.jsonl, curves.png, previews/, encoder.safetensors).", Required = true };
        var init = new Option<FileInfo?>("--init") { Description = "Backbone initialisation: an SA-Enc or torchvision state_dict (e.g. import-imagenet output); neck and classifier start fresh." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (its config, then your overrides)." };
        var noId = new Option<bool>("--no-id") { Description = "Ablation: switch the ID loss off." };
        var noTriplet = new Option<bool>("--no-triplet") { Description = "Ablation: switch the batch-hard triplet loss off." };
        var noTexture = new Option<bool>("--no-texture") { Description = "Ablation: switch the texture L1 loss off." };
        var noTripletReid = new Option<bool>("--no-triplet-reid") { Description = "Ablation: switch the Triplet ReID constraints off." };
        var command = new Command("train", "Train SA-Enc: baseline (ID + batch-hard triplet) or SAN (plus a texture step through SA-Dec per batch), with the SAN recipe by default.");
        common.AddTo(command);
        foreach (Option option in new Option[] { mode, data, textures, substitute, output, init, resume, noId, noTriplet, noTexture, noTripletReid })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CliErrors.Run("train", () =>
        {
            var trainMode = parse.GetValue(mode) switch
            {
                "baseline" => TrainMode.Baseline,
                "san" => TrainMode.San,
                var other => throw new TrainingConfigException($"--mode must be baseline or san, got '{other}'."),
            };
            var folder = new RunFolder(parse.GetValue(output)!.FullName);
            var resuming = parse.GetValue(resume);
            var saved = resuming ? CheckpointState.Load(Path.Combine(folder.CheckpointDir, "state.json")).Config : null;
            var config = common.Resolve(parse, "epochs", saved);
            var ablations = new List<string>();
            if (parse.GetValue(noId)) ablations.Add("idWeight=0");
            if (parse.GetValue(noTriplet)) ablations.Add("tripletWeight=0");
            if (parse.GetValue(noTexture)) ablations.Add("textureWeight=0");
            if (parse.GetValue(noTripletReid)) ablations.Add("tripletReidWeight=0");
            config = config.With(ablations);
            var root = parse.GetValue(data)!.FullName;
            var dataset = MarketLayoutDataset.Load(root, requireTrain: true, requireTest: false);
            TextureLookup? lookup = null;
            if (trainMode == TrainMode.San)
            {
                if (parse.GetValue(textures) is { } textureRoot)
                {
                    lookup = TextureLookup.ParallelFolder(root, textureRoot.FullName);
                }
                else if (parse.GetValue(substitute) is { } rule)
                {
                    var parts = rule.Split(':');
                    lookup = parts.Length == 2 ? TextureLookup.FolderNameSubstitution(parts[0], parts[1]) : throw new TrainingConfigException("--texture-folder-substitution must be IMAGEFOLDER:TEXTUREFOLDER.");
                }
            }

            var device = DeviceOption.Parse(parse.GetValue(common.Device)!);
            Console.WriteLine($"train --mode {parse.GetValue(mode)}: {dataset.Train.Count} images of {dataset.NumTrainIds} identities, {config.Backbone} {config.Height}x{config.Width}, P{config.P} x K{config.K}, {config.Epochs} epochs ({config.WarmupEpochs} of them warm-up) on {device.type}");
            using var trainer = new ReidTrainer(config, trainMode, dataset, lookup, folder, device, parse.GetValue(init)?.FullName, resuming);
            if (resuming)
            {
                Console.WriteLine($"resuming after epoch {trainer.StartEpoch}");
            }

            var records = ConsoleProgress.Run((step, epoch) => trainer.Fit(step, epoch));
            Console.WriteLine($"encoder: {folder.EncoderFile} (export with: sanreid-train export --backbone {config.Backbone} --weights {folder.EncoderFile} --out model.onnx --trained-for-reid)");
            if (records.Count > 0 && records[^1].Eval is { } eval)
            {
                Console.WriteLine($"final: rank-1 {eval["rank1"]:F4} mAP {eval["mAP"]:F4} mINP {eval["mINP"]:F4} (skipped queries {eval["skipped"]})");
            }

            return 0;
        }));
        return command;
    }
}
