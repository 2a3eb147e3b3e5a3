using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Training;

/// <summary>An image/texture pair with the identity (texture) it shows.</summary>
/// <param name="Pair">The files.</param>
/// <param name="Identity">Texture identity; pairs of one identity share a texture.</param>
public sealed record IdentifiedPair(TexturePair Pair, string Identity);

/// <summary>
/// Paired data for SAN-PG: <c>pairs.csv</c> of <c>synth pit</c> (header <c>image,texture,identity</c>, paths relative to
/// the file), a whitespace list file (<see cref="PairedTextureList.Load"/>), or a folder holding <c>images/</c> and
/// <c>textures/</c> with the same relative names (<see cref="PairedTextureList.FromFolders"/>). Without an identity
/// column, the texture path is the identity.
/// </summary>
public static class PairsCsv
{
    /// <summary>Loads pairs from a .csv, a list file, or a folder.</summary>
    /// <exception cref="ReidDatasetException">Missing file/folder, malformed line or missing image/texture (named).</exception>
    public static IReadOnlyList<IdentifiedPair> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            var csv = Path.Combine(path, "pairs.csv");
            return File.Exists(csv)
                ? LoadCsv(csv)
                : PairedTextureList.FromFolders(Path.Combine(path, "images"), Path.Combine(path, "textures")).Select(p => new IdentifiedPair(p, p.TexturePath)).ToList();
        }

        return Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase)
            ? LoadCsv(path)
            : PairedTextureList.Load(path).Select(p => new IdentifiedPair(p, p.TexturePath)).ToList();
    }

    /// <summary>
    /// Splits by identity: the last <paramref name="fraction"/> of identities (in sorted order, at least one when the
    /// fraction is above 0) are held out, so held-out textures are never seen in training.
    /// </summary>
    public static (IReadOnlyList<IdentifiedPair> Train, IReadOnlyList<IdentifiedPair> HeldOut) Split(IReadOnlyList<IdentifiedPair> pairs, double fraction)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var ids = pairs.Select(p => p.Identity).Distinct().Order(StringComparer.Ordinal).ToArray();
        var held = fraction <= 0 ? 0 : Math.Clamp((int)Math.Round(ids.Length * fraction), 1, ids.Length - 1);
        var heldIds = ids.Skip(ids.Length - held).ToHashSet();
        return (pairs.Where(p => !heldIds.Contains(p.Identity)).ToList(), pairs.Where(p => heldIds.Contains(p.Identity)).ToList());
    }

    // RFC 4180 through CsvHelper (quoted fields, CRLF, blank lines skipped); the header names the columns.
    private static List<IdentifiedPair> LoadCsv(string file)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(file))!;
        using var reader = new StreamReader(file);
        using var parser = new CsvParser(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { DetectColumnCountChanges = false });
        if (!parser.Read() || parser.Record is not ["image", "texture", ..])
        {
            throw new ReidDatasetException($"{file}: expected a header 'image,texture[,identity]'.");
        }

        var result = new List<IdentifiedPair>();
        while (parser.Read())
        {
            var parts = parser.Record!;
            int line = parser.RawRow;
            if (parts.Length < 2)
            {
                throw new ReidDatasetException($"{file} line {line}: expected image,texture[,identity], got '{parser.RawRecord.TrimEnd('\r', '\n')}'.");
            }

            var pair = new TexturePair(Path.GetFullPath(Path.Combine(root, parts[0])), Path.GetFullPath(Path.Combine(root, parts[1])));
            foreach (var f in new[] { pair.ImagePath, pair.TexturePath })
            {
                if (!File.Exists(f))
                {
                    throw new ReidDatasetException($"{file} line {line}: file '{f}' does not exist.");
                }
            }

            result.Add(new IdentifiedPair(pair, parts.Length > 2 ? parts[2] : pair.TexturePath));
        }

        return result.Count > 0 ? result : throw new ReidDatasetException($"{file} lists no pairs.");
    }
}
