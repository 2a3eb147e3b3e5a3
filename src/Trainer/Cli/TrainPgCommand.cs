using System.CommandLine;
using SanReid.Trainer.Training;

namespace SanReid.Trainer.Cli;

/// <summary><c>train-pg</c>: SAN-PG, SA-Enc + SA-Dec with the reconstruction loss only, on paired image/texture data.</summary>
internal static class TrainPgCommand
{
    public static Command Create()
    {
        var common = new TrainingOptions();
        var pairs = new Option<string>("--pairs") { Description = "Paired data: pairs.csv of synth pit (or its folder), a '<image> <texture>' list file, or a folder with images/ and textures/.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder (checkpoint/, metrics.jsonl, curves.png, previews/, encoder.safetensors, decoder.safetensors).", Required = true };
        var init = new Option<FileInfo?>("--init") { Description = "Backbone initialisation (e.g. import-imagenet output)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint." };
        var command = new Command("train-pg", "Train SAN-PG (SA-Enc + SA-Dec, texture L1 only) on paired image/texture data; reports held-out L1 against the mean-texture L1.");
        common.AddTo(command);
        foreach (Option option in new Option[] { pairs, output, init, resume })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CliErrors.Run("train-pg", () =>
        {
            var folder = new RunFolder(parse.GetValue(output)!.FullName);
            var resuming = parse.GetValue(resume);
            var saved = resuming ? CheckpointState.Load(Path.Combine(folder.CheckpointDir, "state.json")).Config : null;
            var config = common.Resolve(parse, "pgEpochs", saved);
            var all = PairsCsv.Load(parse.GetValue(pairs)!);
            var (train, heldOut) = PairsCsv.Split(all, config.PgHoldOut);
            var device = DeviceOption.Parse(parse.GetValue(common.Device)!);
            Console.WriteLine($"train-pg: {train.Count} training pairs, {heldOut.Count} held-out pairs (other identities), {config.Backbone} {config.Height}x{config.Width}, batch {config.PgBatchSize}, {config.PgEpochs} epochs on {device.type}");
            using var trainer = new PgTrainer(config, train.Select(p => p.Pair).ToList(), heldOut.Select(p => p.Pair).ToList(), folder, device, parse.GetValue(init)?.FullName, resuming);
            var records = ConsoleProgress.Run((step, epoch) => trainer.Fit(step, epoch));
            if (records.Count > 0 && records[^1].Eval is { } eval)
            {
                Console.WriteLine($"held-out L1 {eval["heldOutL1"]:F4} vs mean-texture L1 {eval["meanTextureL1"]:F4}");
            }

            Console.WriteLine($"SAN-PG weights: {folder.EncoderFile}, {folder.DecoderFile}");
            return 0;
        }));
        return command;
    }
}
