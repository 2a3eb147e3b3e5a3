using SanReid.Trainer.Data;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>The crops of a calibration folder, split into the calibration set and the held-out agreement set.</summary>
/// <param name="Folder">The folder the crops were read from (full path).</param>
/// <param name="Available">Image files found there.</param>
/// <param name="Calibration">Crops whose activations set the ranges.</param>
/// <param name="HeldOut">Crops never seen by calibration, for the agreement check.</param>
public sealed record CalibrationSet(string Folder, int Available, IReadOnlyList<string> Calibration, IReadOnlyList<string> HeldOut);

/// <summary>
/// Lists calibration crops: the images of <c>DIR/bounding_box_train/</c> when DIR is a Market-layout dataset root (as
/// <c>synth reid</c> writes; query/ and bounding_box_test/ stay for evaluation), else the images directly in DIR
/// (.jpg, .jpeg, .png, .bmp, .webp, .gif; not recursive). File names need not parse as Market names.
/// </summary>
public static class CalibrationCrops
{
    /// <summary>Fewest held-out crops for a meaningful top-1 agreement (one miss is then 10 points).</summary>
    public const int MinHeldOut = 10;

    /// <summary>Fewest calibration crops.</summary>
    public const int MinCalibration = 8;

    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif" };

    /// <summary>
    /// Splits deterministically (the same folder gives the same split). When every file name is a Market-style name
    /// with a person id (as <c>synth reid</c> writes), whole people are held out, about <paramref name="heldOut"/>
    /// crops of every k-th person, and up to <paramref name="calibration"/> crops of the others calibrate. Otherwise
    /// <paramref name="calibration"/> + <paramref name="heldOut"/> crops are picked evenly over the sorted file list
    /// and the held-out ones dealt evenly among them; when the folder holds fewer, both counts shrink in proportion.
    /// </summary>
    /// <exception cref="ReidDatasetException">The folder is missing, or holds fewer than
    /// <see cref="MinCalibration"/> + <see cref="MinHeldOut"/> images.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count below its minimum.</exception>
    public static CalibrationSet Split(string folder, int calibration, int heldOut)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calibration, MinCalibration);
        ArgumentOutOfRangeException.ThrowIfLessThan(heldOut, MinHeldOut);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new ReidDatasetException($"Calibration folder '{full}' does not exist.");
        }

        var train = Path.Combine(full, "bounding_box_train");
        var source = Directory.Exists(train) ? train : full;
        var files = Directory.EnumerateFiles(source).Where(f => Extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
        if (files.Count < MinCalibration + MinHeldOut)
        {
            throw new ReidDatasetException(
                $"Calibration folder '{source}' holds {files.Count} image(s); at least {MinCalibration + MinHeldOut} are needed " +
                $"({MinCalibration} to calibrate, {MinHeldOut} held out for the agreement check). `sanreid-train synth reid` makes some.");
        }

        var pids = files.Select(f => Market1501Name.TryParse(f, out var name) && name.Pid > 0 ? name.Pid : -1).ToArray();
        if (pids.All(p => p > 0) && pids.Distinct().Count() >= 4)
        {
            return SplitByPerson(source, files, pids, calibration, heldOut);
        }

        int wanted = calibration + heldOut;
        int take = Math.Min(wanted, files.Count);
        int held = Math.Max(MinHeldOut, (int)Math.Round((double)take * heldOut / wanted));
        var picked = Enumerable.Range(0, take).Select(i => files[(int)((long)i * files.Count / take)]).ToList();
        var calibrationFiles = new List<string>();
        var heldOutFiles = new List<string>();
        for (int i = 0; i < take; i++)
        {
            // Crop i is held out when the running share of held-out crops steps up at i: `held` of `take`, evenly spread.
            bool hold = (long)(i + 1) * held / take > (long)i * held / take;
            (hold ? heldOutFiles : calibrationFiles).Add(picked[i]);
        }

        return new CalibrationSet(source, files.Count, calibrationFiles, heldOutFiles);
    }

    // Whole people are held out (every k-th pid in order, k chosen so that about `heldOut` crops are), so that the
    // agreement gallery holds people calibration never saw, each with several crops, as a re-ID gallery does.
    private static CalibrationSet SplitByPerson(string source, List<string> files, int[] pids, int calibration, int heldOut)
    {
        var people = pids.Distinct().Order().ToList();
        double share = Math.Clamp((double)heldOut / files.Count, 1.0 / people.Count, 0.5);
        int heldPeople = Math.Max(2, (int)Math.Round(people.Count * share));
        var held = new HashSet<int>(Enumerable.Range(0, heldPeople).Select(i => people[(int)((long)i * people.Count / heldPeople)]));
        var heldOutFiles = files.Where((_, i) => held.Contains(pids[i])).ToList();
        var rest = files.Where((_, i) => !held.Contains(pids[i])).ToList();
        if (heldOutFiles.Count > heldOut)
        {
            heldOutFiles = Enumerable.Range(0, heldOut).Select(i => heldOutFiles[(int)((long)i * heldOutFiles.Count / heldOut)]).ToList();
        }

        int take = Math.Min(calibration, rest.Count);
        var calibrationFiles = Enumerable.Range(0, take).Select(i => rest[(int)((long)i * rest.Count / take)]).ToList();
        if (calibrationFiles.Count < MinCalibration || heldOutFiles.Count < MinHeldOut)
        {
            throw new ReidDatasetException(
                $"Calibration folder '{source}' gives {calibrationFiles.Count} calibration and {heldOutFiles.Count} held-out crops; at least " +
                $"{MinCalibration} and {MinHeldOut} are needed.");
        }

        return new CalibrationSet(source, files.Count, calibrationFiles, heldOutFiles);
    }
}
