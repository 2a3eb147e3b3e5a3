namespace SanReid.Trainer.Data;

/// <summary>One image with its ground-truth texture (PIT or synthetic paired data; DESIGN.md "SAN-PG").</summary>
/// <param name="ImagePath">Person image (rendered 256x128 in PIT).</param>
/// <param name="TexturePath">Its UV texture (256x256 in PIT).</param>
public sealed record TexturePair(string ImagePath, string TexturePath);

/// <summary>
/// Paired image/texture data for SAN-PG training (reconstruction loss only), from a list file or from two parallel
/// folders.
/// </summary>
public static class PairedTextureList
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp" };

    /// <summary>
    /// Reads a list file: each non-blank line not starting with <c>#</c> holds <c>&lt;image path&gt; &lt;texture path&gt;</c>
    /// separated by a tab or spaces (paths without spaces; relative paths are relative to the list file's folder).
    /// </summary>
    /// <param name="listFile">The list file.</param>
    /// <param name="requireFiles">When true (default), every listed file must exist.</param>
    /// <exception cref="ReidDatasetException">Missing list file, a malformed line, or a missing image/texture (file and line named).</exception>
    public static IReadOnlyList<TexturePair> Load(string listFile, bool requireFiles = true)
    {
        ArgumentNullException.ThrowIfNull(listFile);
        if (!File.Exists(listFile))
        {
            throw new ReidDatasetException($"Paired list file '{listFile}' does not exist.");
        }

        var baseDir = Path.GetDirectoryName(Path.GetFullPath(listFile))!;
        var pairs = new List<TexturePair>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(listFile))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new ReidDatasetException($"{listFile} line {lineNumber}: expected '<image path> <texture path>', got '{line}'.");
            }

            var pair = new TexturePair(Path.GetFullPath(Path.Combine(baseDir, parts[0])), Path.GetFullPath(Path.Combine(baseDir, parts[1])));
            if (requireFiles)
            {
                foreach (var path in new[] { pair.ImagePath, pair.TexturePath })
                {
                    if (!File.Exists(path))
                    {
                        throw new ReidDatasetException($"{listFile} line {lineNumber}: file '{path}' does not exist.");
                    }
                }
            }

            pairs.Add(pair);
        }

        if (pairs.Count == 0)
        {
            throw new ReidDatasetException($"Paired list file '{listFile}' lists no pairs.");
        }

        return pairs;
    }

    /// <summary>
    /// Pairs every image under <paramref name="imageFolder"/> (recursively; .jpg .jpeg .png .bmp .webp) with the texture of
    /// the same relative name under <paramref name="textureFolder"/> (see <see cref="TextureLookup.ParallelFolder"/>),
    /// sorted by image path.
    /// </summary>
    /// <exception cref="ReidDatasetException">A folder is missing, holds no image, or an image has no texture (both named).</exception>
    public static IReadOnlyList<TexturePair> FromFolders(string imageFolder, string textureFolder)
    {
        foreach (var folder in new[] { imageFolder, textureFolder })
        {
            if (!Directory.Exists(folder))
            {
                throw new ReidDatasetException($"Folder '{folder}' does not exist.");
            }
        }

        var lookup = TextureLookup.ParallelFolder(imageFolder, textureFolder);
        var pairs = Directory.EnumerateFiles(imageFolder, "*", SearchOption.AllDirectories)
            .Where(p => ImageExtensions.Contains(Path.GetExtension(p)))
            .Order(StringComparer.Ordinal)
            .Select(p => new TexturePair(Path.GetFullPath(p), lookup.Find(p)))
            .ToList();
        return pairs.Count > 0 ? pairs : throw new ReidDatasetException($"Folder '{imageFolder}' holds no images.");
    }
}
