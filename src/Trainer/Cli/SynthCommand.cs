using System.CommandLine;
using SanReid.Trainer.Synthesis;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>sanreid-train synth</c>: synthetic data. <c>synth pit</c> writes PIT-style image/texture pairs for SAN-PG
/// pre-training, <c>synth reid</c> a Market-1501-layout re-ID dataset with true textures, <c>synth sheet</c> a contact
/// sheet PNG for looking at the data.
/// </summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var synth = new Command("synth", "Generate synthetic person images with their true UV textures (no downloads, no licences).");
        synth.Subcommands.Add(CreatePit());
        synth.Subcommands.Add(CreateReid());
        synth.Subcommands.Add(CreateSheet());
        return synth;
    }

    private static Command CreatePit()
    {
        var outDir = new Option<string>("--out") { Description = "Output folder (new or empty).", Required = true };
        var textures = new Option<int>("--textures") { Description = "Number of identities (textures), 1..99999.", Required = true };
        var poses = new Option<int>("--poses") { Description = "Images per texture (gait phases), 1..99.", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Master seed; the same seed gives the same bytes.", DefaultValueFactory = _ => 1 };
        var command = new Command("pit", "PIT-style pairs: images/IIIII_PP.jpg, textures/IIIII.png and pairs.csv (image,texture,identity).");
        command.Options.Add(outDir);
        command.Options.Add(textures);
        command.Options.Add(poses);
        command.Options.Add(seed);
        command.SetAction(parse => Run("synth pit", () =>
        {
            int total = parse.GetValue(textures) * parse.GetValue(poses);
            PitSummary summary = PitWriter.Write(parse.GetValue(outDir)!, parse.GetValue(textures), parse.GetValue(poses), parse.GetValue(seed), (done, _) => Progress(done, total));
            Console.WriteLine($"Wrote {summary.Images} images and {summary.Textures} textures; pairs list {summary.PairsFile}");
        }));
        return command;
    }

    private static Command CreateReid()
    {
        var outDir = new Option<string>("--out") { Description = "Output folder (new or empty).", Required = true };
        var trainIds = new Option<int>("--train-ids") { Description = "Training identities.", Required = true };
        var testIds = new Option<int>("--test-ids") { Description = "Test identities (query + gallery).", Required = true };
        var cameras = new Option<int>("--cameras") { Description = "Cameras, 2..15.", DefaultValueFactory = _ => 6 };
        var seed = new Option<int>("--seed") { Description = "Master seed; the same seed gives the same bytes.", DefaultValueFactory = _ => 1 };
        var distractors = new Option<int>("--distractors") { Description = "pid 0000 gallery images (default: one per test identity).", DefaultValueFactory = _ => -1 };
        var junk = new Option<int>("--junk") { Description = "pid -1 gallery images (default: one per two test identities).", DefaultValueFactory = _ => -1 };
        var hard = new Option<double>("--hard-negatives") { Description = "Fraction of identities that copy the previous one's colours (0..1).", DefaultValueFactory = _ => IdentityCatalog.DefaultHardNegativeFraction };
        var command = new Command("reid", "Market-1501 layout (bounding_box_train, query, bounding_box_test) plus textures/ with each image's true texture.");
        foreach (Option option in new Option[] { outDir, trainIds, testIds, cameras, seed, distractors, junk, hard })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Run("synth reid", () =>
        {
            var options = new ReidOptions(parse.GetValue(trainIds), parse.GetValue(testIds), parse.GetValue(cameras), parse.GetValue(seed), parse.GetValue(distractors), parse.GetValue(junk), parse.GetValue(hard));
            ReidSummary summary = ReidWriter.Write(parse.GetValue(outDir)!, options, done => Progress(done, 0));
            Console.WriteLine($"Wrote train {summary.Train}, query {summary.Query}, gallery {summary.Gallery} (+{summary.Distractors} distractors 0000, +{summary.Junk} junk -1)");
        }));
        return command;
    }

    private static Command CreateSheet()
    {
        var outFile = new Option<string>("--out") { Description = "Output PNG file.", Required = true };
        var identities = new Option<int>("--identities") { Description = "Rows (identities), 1..64.", DefaultValueFactory = _ => 6 };
        var renders = new Option<int>("--renders") { Description = "Renders per identity, 1..64 (a (part,u,v) render is added).", DefaultValueFactory = _ => 6 };
        var scale = new Option<double>("--scale") { Description = "Scale of the sheet, 0.25..1.", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "Master seed.", DefaultValueFactory = _ => 1 };
        var palette = new Option<bool>("--palette") { Description = "Write an 8-bit palette PNG (smaller file)." };
        var command = new Command("sheet", "Contact sheet PNG: per identity its texture, renders and a (part,u,v) render.");
        foreach (Option option in new Option[] { outFile, identities, renders, scale, seed, palette })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Run("synth sheet", () =>
        {
            string path = parse.GetValue(outFile)!;
            RgbImage sheet = ContactSheet.Build(parse.GetValue(seed), parse.GetValue(identities), parse.GetValue(renders), parse.GetValue(scale));
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            File.WriteAllBytes(path, parse.GetValue(palette) ? sheet.EncodePalettePng() : sheet.EncodePng());
            Console.WriteLine($"Wrote {sheet.Width}x{sheet.Height} sheet to {Path.GetFullPath(path)}");
        }));
        return command;
    }

    private static void Progress(int done, int total)
    {
        if (done % 500 == 0 || done == total)
        {
            Console.Error.WriteLine(total > 0 ? $"  {done}/{total} images" : $"  {done} images");
        }
    }

    // Bad arguments and unusable output folders are the user's to fix: a one-line message and exit code 2, no stack trace.
    private static int Run(string name, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return 2;
        }
    }
}
