using System.CommandLine;
using System.Globalization;
using SanReid.Synthesis;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>sanreid-train synth</c>: synthetic data. <c>synth pit</c> writes PIT-style image/texture pairs for SAN-PG
/// pre-training, <c>synth reid</c> a Market-1501-layout re-ID dataset with true textures, <c>synth sheet</c> a contact
/// sheet PNG for looking at the data. Every argument is checked before anything is created: a bad value is
/// "error: synth X: ..." with exit code 2; an unusable output (a non-empty folder, an existing sheet without --force,
/// a write failure) is exit code 1, and a failed run removes what it created.
/// </summary>
internal static class SynthCommand
{
    /// <summary>Largest identity count of <c>synth reid</c> (train + test share 4-digit pids 0001..9999).</summary>
    public const int MaxIdentities = 9999;

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
        command.SetAction(parse => CommandErrors.Run("synth pit", () =>
        {
            int t = InRange(parse.GetValue(textures), "--textures", 1, 99999);
            int p = InRange(parse.GetValue(poses), "--poses", 1, 99);
            int total = t * p;
            PitSummary summary = PitWriter.Write(NonBlank(parse.GetValue(outDir)), t, p, parse.GetValue(seed), (done, _) => Progress(done, total));
            Console.WriteLine($"Wrote {summary.Images} images and {summary.Textures} textures; pairs list {summary.PairsFile}");
        }));
        return command;
    }

    private static Command CreateReid()
    {
        var outDir = new Option<string>("--out") { Description = "Output folder (new or empty).", Required = true };
        var trainIds = new Option<int>("--train-ids") { Description = $"Training identities, 1..{MaxIdentities - 1} (train + test at most {MaxIdentities}).", Required = true };
        var testIds = new Option<int>("--test-ids") { Description = $"Test identities (query + gallery), 1..{MaxIdentities - 1}.", Required = true };
        var cameras = new Option<int>("--cameras") { Description = "Cameras, 2..15.", DefaultValueFactory = _ => 6 };
        var seed = new Option<int>("--seed") { Description = "Master seed; the same seed gives the same bytes.", DefaultValueFactory = _ => 1 };
        var distractors = new Option<int?>("--distractors") { Description = $"pid 0000 gallery images, 0..{ReidWriter.MaxExtras} (default: one per test identity)." };
        var junk = new Option<int?>("--junk") { Description = $"pid -1 gallery images, 0..{ReidWriter.MaxExtras} (default: one per two test identities)." };
        var hard = new Option<double>("--hard-negatives")
        {
            Description = $"Fraction of identities that copy the previous one's colours, 0..{IdentityCatalog.MaxHardNegativeFraction.ToString(CultureInfo.InvariantCulture)}.",
            DefaultValueFactory = _ => IdentityCatalog.DefaultHardNegativeFraction,
        };
        var disable = new Option<string>("--disable")
        {
            Description = $"Randomisations to switch off for an ablation, comma-separated: {RandomisationNames.Valid} (or all). Default: everything on.",
        };
        var command = new Command("reid", "Market-1501 layout (bounding_box_train, query, bounding_box_test) plus textures/ with each image's true texture.");
        foreach (Option option in new Option[] { outDir, trainIds, testIds, cameras, seed, distractors, junk, hard, disable })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommandErrors.Run("synth reid", () =>
        {
            int train = InRange(parse.GetValue(trainIds), "--train-ids", 1, MaxIdentities - 1);
            int test = InRange(parse.GetValue(testIds), "--test-ids", 1, MaxIdentities - 1);
            if (train + test > MaxIdentities)
            {
                throw new UsageException($"--train-ids + --test-ids is {train + test}; at most {MaxIdentities} (pids are 4 digits, 0001..9999).");
            }

            int cams = InRange(parse.GetValue(cameras), "--cameras", 2, 15);
            int d = parse.GetValue(distractors) is { } dv ? InRange(dv, "--distractors", 0, ReidWriter.MaxExtras) : -1;
            int j = parse.GetValue(junk) is { } jv ? InRange(jv, "--junk", 0, ReidWriter.MaxExtras) : -1;
            double h = parse.GetValue(hard);
            if (!(h >= 0 && h <= IdentityCatalog.MaxHardNegativeFraction))
            {
                throw new UsageException(
                    $"--hard-negatives must be a fraction in 0..{IdentityCatalog.MaxHardNegativeFraction.ToString(CultureInfo.InvariantCulture)} (got {h.ToString(CultureInfo.InvariantCulture)}).");
            }

            Randomisation disabled;
            try
            {
                disabled = RandomisationNames.Parse(parse.GetValue(disable));
            }
            catch (FormatException e)
            {
                throw new UsageException($"--disable: {e.Message}");
            }

            var options = new ReidOptions(train, test, cams, parse.GetValue(seed), d, j, h, disabled);
            ReidSummary summary = ReidWriter.Write(NonBlank(parse.GetValue(outDir)), options, done => Progress(done, 0));
            Console.WriteLine($"Wrote train {summary.Train}, query {summary.Query}, gallery {summary.Gallery} (+{summary.Distractors} distractors 0000, +{summary.Junk} junk -1); "
                + $"{summary.Occluded} occluded; randomisations off: {RandomisationNames.Format(disabled)}");
        }));
        return command;
    }

    private static Command CreateSheet()
    {
        var outFile = new Option<string>("--out") { Description = "Output PNG file (an existing file is kept unless --force).", Required = true };
        var identities = new Option<int>("--identities") { Description = "Rows (identities), 1..64.", DefaultValueFactory = _ => 6 };
        var renders = new Option<int>("--renders") { Description = "Renders per identity, 1..64 (a (part,u,v) render is added).", DefaultValueFactory = _ => 6 };
        var scale = new Option<double>("--scale") { Description = "Scale of the sheet, 0.25..1.", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "Master seed.", DefaultValueFactory = _ => 1 };
        var palette = new Option<bool>("--palette") { Description = "Write an 8-bit palette PNG (smaller file)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing --out file." };
        var command = new Command("sheet", "Contact sheet PNG: per identity its texture, renders and a (part,u,v) render.");
        foreach (Option option in new Option[] { outFile, identities, renders, scale, seed, palette, force })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommandErrors.Run("synth sheet", () =>
        {
            string path = Path.GetFullPath(NonBlank(parse.GetValue(outFile)));
            int rows = InRange(parse.GetValue(identities), "--identities", 1, 64);
            int columns = InRange(parse.GetValue(renders), "--renders", 1, 64);
            double s = parse.GetValue(scale);
            if (!(s >= 0.25 && s <= 1))
            {
                throw new UsageException($"--scale must be in 0.25..1 (got {s.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (Directory.Exists(path))
            {
                throw new IOException($"Output '{path}' is a folder; give a .png file path.");
            }

            if (File.Exists(path) && !parse.GetValue(force))
            {
                throw new IOException($"Output file '{path}' exists; nothing is overwritten (pass --force to replace it).");
            }

            RgbImage sheet = ContactSheet.Build(parse.GetValue(seed), rows, columns, s);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, parse.GetValue(palette) ? sheet.EncodePalettePng() : sheet.EncodePng());
            Console.WriteLine($"Wrote {sheet.Width}x{sheet.Height} sheet to {path}");
        }));
        return command;
    }

    private static string NonBlank(string? path) =>
        string.IsNullOrWhiteSpace(path) ? throw new UsageException("--out must not be empty.") : path;

    private static int InRange(int value, string option, int min, int max) =>
        value >= min && value <= max
            ? value
            : throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} must be in {min}..{max:N0} (got {value})."));

    private static void Progress(int done, int total)
    {
        if (done % 500 == 0 || done == total)
        {
            Console.Error.WriteLine(total > 0 ? $"  {done}/{total} images" : $"  {done} images");
        }
    }
}
