using System.CommandLine;
using SanReid.Trainer.Export.Quantization;

namespace SanReid.Trainer.Cli;

/// <summary><c>quantize</c>: an exported fp32 encoder as a static QDQ int8 model, written only when it agrees with fp32.</summary>
internal static class QuantizeCommand
{
    /// <summary>Real crops checked by default, relative to the repository root (or the working folder).</summary>
    public const string DefaultRealCrops = "../shared/data/market-mini";

    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "The fp32 ONNX model (an export of this project, opset 13 or later).", Required = true };
        var calibration = new Option<DirectoryInfo>("--calibration")
        {
            Description = "Folder of calibration crops: a Market-layout root (its bounding_box_train/ is used, e.g. `synth reid` output) or a flat folder of images.",
            Required = true,
        };
        var output = new Option<FileInfo>("--out") { Description = "int8 ONNX file to write; <name>.card.json is written next to it.", Required = true };
        var method = new Option<string>("--method") { Description = "Activation range rule: min-max, percentile or entropy.", DefaultValueFactory = _ => "entropy" };
        method.AcceptOnlyFromAmong("min-max", "percentile", "entropy");
        var percentile = new Option<double>("--percentile")
        {
            Description = "p of --method percentile: the range runs from the (100-p)-th to the p-th percentile.",
            DefaultValueFactory = _ => ActivationCalibration.DefaultPercentile,
        };
        var count = new Option<int>("--calibration-count") { Description = "Crops used to calibrate (at most).", DefaultValueFactory = _ => 256 };
        var heldOut = new Option<int>("--held-out") { Description = "Crops held out for the agreement check.", DefaultValueFactory = _ => 128 };
        var real = new Option<string?>("--real-crops")
        {
            Description = $"Folder of real Market-named crops for the Rank-1/mAP check (all against all), or 'none'. Default: {DefaultRealCrops} from the repository root, when it exists.",
        };

        var command = new Command("quantize",
            "Quantize an exported encoder to int8 (static QDQ: per-channel int8 weights, per-tensor uint8 activations calibrated on crops), " +
            "check it against fp32 (held-out crops: mean cosine >= 0.99, top-1 agreement >= 98%; real crops: Rank-1 and mAP within 1 point) " +
            "and write it with its model card only when it passes.");
        foreach (var option in new Option[] { model, calibration, output, method, percentile, count, heldOut, real })
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            int calibrationCount = parseResult.GetValue(count);
            int heldOutCount = parseResult.GetValue(heldOut);
            if (calibrationCount < CalibrationCrops.MinCalibration)
            {
                throw new UsageException($"--calibration-count must be at least {CalibrationCrops.MinCalibration} (got {calibrationCount}).");
            }

            if (heldOutCount < CalibrationCrops.MinHeldOut)
            {
                throw new UsageException($"--held-out must be at least {CalibrationCrops.MinHeldOut} (got {heldOutCount}).");
            }

            double p = parseResult.GetValue(percentile);
            if (!(p > 50 && p <= 100))
            {
                throw new UsageException($"--percentile must be above 50 and at most 100 (got {p}).");
            }

            var calibrationFolder = parseResult.GetValue(calibration)!;
            var outPath = OutputPaths.RequireFile(parseResult.GetValue(output)!.FullName, "--out");
            var realFolder = RealCrops(parseResult.GetValue(real), parseResult.GetResult(real) is not null);
            if (realFolder is not null && Overlap(realFolder, calibrationFolder.FullName))
            {
                throw new UsageException(
                    $"--calibration '{calibrationFolder.FullName}' and the real crops '{realFolder}' overlap: the Rank-1 check must run on crops " +
                    "calibration never saw. Calibrate on other crops (e.g. `sanreid-train synth reid`) or pass --real-crops none.");
            }

            var methodValue = parseResult.GetValue(method) switch
            {
                "min-max" => CalibrationMethod.MinMax,
                "entropy" => CalibrationMethod.Entropy,
                _ => CalibrationMethod.Percentile,
            };
            ModelQuantization.Quantize(new QuantizationOptions
            {
                ModelPath = parseResult.GetValue(model)!.FullName,
                CalibrationFolder = calibrationFolder.FullName,
                CalibrationLabel = parseResult.GetResult(calibration)?.Tokens.FirstOrDefault()?.Value,
                OutputPath = outPath,
                Method = methodValue,
                Percentile = p,
                CalibrationCount = calibrationCount,
                HeldOutCount = heldOutCount,
                RealCropsFolder = realFolder,
            }, Console.Out);
            return 0;
        }));
        return command;
    }

    // The real crops folder to check: the option's folder ('none' = no check; a given folder must exist), else the
    // default one when it exists.
    private static string? RealCrops(string? given, bool explicitlyGiven)
    {
        if (explicitlyGiven)
        {
            if (string.Equals(given, "none", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var full = Path.GetFullPath(given!);
            return Directory.Exists(full) ? full : throw new UsageException($"--real-crops '{full}' does not exist (pass 'none' to skip the real-crops check).");
        }

        var root = RepositoryRoot(Directory.GetCurrentDirectory()) ?? Directory.GetCurrentDirectory();
        var folder = Path.GetFullPath(Path.Combine(root, DefaultRealCrops));
        return Directory.Exists(folder) ? folder : null;
    }

    private static string? RepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static bool Overlap(string a, string b)
    {
        static string Norm(string p) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p)) + Path.DirectorySeparatorChar;
        string x = Norm(a), y = Norm(b);
        return x.StartsWith(y, StringComparison.Ordinal) || y.StartsWith(x, StringComparison.Ordinal);
    }
}
