using System.CommandLine;
using SanReid.Trainer.Data;
using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using SanReid.Trainer.Training;
using TorchSharp;

namespace SanReid.Trainer.Cli;

/// <summary><c>textures</c>: pseudo ground-truth textures of a re-ID dataset from a trained SAN-PG run.</summary>
internal static class TexturesCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--pg") { Description = "SAN-PG run folder (train-pg --out): config.json, encoder.safetensors, decoder.safetensors.", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "Dataset root; images are read from its --folders.", Required = true };
        var folders = new Option<string[]>("--folders") { Description = "Sub-folders to process (default bounding_box_train).", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Texture root: <out>/<folder>/<image stem>.png (pass it to train --textures).", Required = true };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var command = new Command("textures", "Run a SAN-PG checkpoint over a re-ID dataset and write its pseudo textures under a parallel folder with the same relative names (.png).");
        foreach (Option option in new Option[] { run, data, folders, output, device })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CliErrors.Run("textures", () =>
        {
            var folder = new RunFolder(parse.GetValue(run)!.FullName);
            var config = TrainingConfig.Load(Path.Combine(folder.Root, "config.json"));
            var backbone = BackboneNames.Parse(config.Backbone);
            var dev = DeviceOption.Parse(parse.GetValue(device)!);
            using var encoder = new SaEncoder(backbone);
            using var decoder = SaDecoder.For(backbone);
            RunFolder.LoadEncoder(encoder, folder.EncoderFile);
            RunFolder.LoadDecoder(decoder, folder.DecoderFile);
            encoder.to(dev);
            decoder.to(dev);
            var root = parse.GetValue(data)!.FullName;
            var names = parse.GetValue(folders) is { Length: > 0 } given ? given : ["bounding_box_train"];
            var images = names.SelectMany(n => MarketLayoutDataset.ListFolder(Path.Combine(root, n)).Select(i => i.Path)).ToArray();
            var outRoot = parse.GetValue(output)!.FullName;
            var written = PseudoTextureWriter.Write(encoder, decoder, images, root, outRoot, new CropReader(config.Height, config.Width, config.Height), dev,
                n => { if (n % 320 == 0 || n == images.Length) Console.Error.WriteLine($"  {n}/{images.Length} textures"); });
            Console.WriteLine($"Wrote {written} pseudo textures ({config.Height}x{config.Height}) under {outRoot}");
            return 0;
        }));
        return command;
    }
}
