namespace SanReid.Synthesis;

/// <summary>
/// The randomisations of <c>synth reid</c> that can be switched off one at a time for an ablation (RandPerson,
/// Wang et al. ACM MM 2020, and UnrealPerson, Zhang et al. CVPR 2021, find that variety is what makes synthetic
/// re-ID data transfer to real crops). Switching one off replaces it by one fixed value and leaves every other
/// random draw where it was, so an ablation changes that factor only.
/// </summary>
[Flags]
public enum Randomisation
{
    /// <summary>Nothing switched off.</summary>
    None = 0,

    /// <summary>Clothing patterns (stripes, checks, noise, patches) and chest/back prints; off = plain single-colour clothing, identities differ by colours (and bag) only.</summary>
    Textures = 1 << 0,

    /// <summary>Procedural street backgrounds; off = one plain flat grey background for every image.</summary>
    Backgrounds = 1 << 1,

    /// <summary>Occluders (boxes, poles, passers-by, bags) over 10-40 % of 30 % of the crops; off = no crop is occluded.</summary>
    Occlusion = 1 << 2,

    /// <summary>Detector-like framing (loose, tight, shifted boxes that sometimes cut feet or head); off = every person centred, feet to head over 88 % of the height.</summary>
    CropJitter = 1 << 3,

    /// <summary>Per-camera colour cast, brightness, contrast, resolution loss, blur, noise and JPEG quality; off = no camera effect, JPEG quality 95.</summary>
    CameraLook = 1 << 4,

    /// <summary>Per-identity height and build; off = every identity has the average 1.70 m build.</summary>
    BodyShape = 1 << 5,

    /// <summary>Light direction and strength per image; off = one fixed frontal light.</summary>
    Lighting = 1 << 6,
}

/// <summary>The names of <see cref="Randomisation"/> flags as the CLI writes them (<c>--disable textures,occlusion</c>).</summary>
public static class RandomisationNames
{
    /// <summary>CLI name of each single flag, in declaration order.</summary>
    public static IReadOnlyList<(string Name, Randomisation Flag)> All { get; } =
    [
        ("textures", Randomisation.Textures),
        ("backgrounds", Randomisation.Backgrounds),
        ("occlusion", Randomisation.Occlusion),
        ("crop-jitter", Randomisation.CropJitter),
        ("camera-look", Randomisation.CameraLook),
        ("body-shape", Randomisation.BodyShape),
        ("lighting", Randomisation.Lighting),
    ];

    /// <summary>"textures, backgrounds, ..." for error messages and help.</summary>
    public static string Valid => string.Join(", ", All.Select(n => n.Name));

    /// <summary>
    /// Parses a comma-separated list of names (case-insensitive, blanks ignored, "all" = every flag, "none" = no flag).
    /// </summary>
    /// <exception cref="FormatException">A name is not one of <see cref="Valid"/>; the message names it and lists the valid ones.</exception>
    public static Randomisation Parse(string? list)
    {
        Randomisation result = Randomisation.None;
        foreach (string raw in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = raw.ToLowerInvariant();
            if (name == "all")
            {
                result |= All.Aggregate(Randomisation.None, (a, n) => a | n.Flag);
                continue;
            }

            if (name == "none")
            {
                continue;
            }

            int match = All.ToList().FindIndex(n => n.Name == name);
            if (match < 0)
            {
                throw new FormatException($"unknown randomisation '{raw}'; valid names: {Valid} (or all, none).");
            }

            result |= All[match].Flag;
        }

        return result;
    }

    /// <summary>The CLI names of the flags set in <paramref name="flags"/>, comma-separated ("none" when empty).</summary>
    public static string Format(Randomisation flags)
    {
        string[] names = All.Where(n => flags.HasFlag(n.Flag)).Select(n => n.Name).ToArray();
        return names.Length == 0 ? "none" : string.Join(",", names);
    }
}
