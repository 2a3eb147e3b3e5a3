namespace SanReid.Trainer.Data;

/// <summary>Crops gathered from several folders as one set (for the all-vs-all protocol).</summary>
/// <param name="Crops">The crops, deduplicated by file name, in the order found (folders in the order given, files sorted).</param>
/// <param name="Folders">The image folders read (a dataset root contributes its query/ and bounding_box_test/).</param>
/// <param name="DuplicatesDropped">Files left out because a crop of the same file name came earlier.</param>
public sealed record CropSet(IReadOnlyList<ReidImage> Crops, IReadOnlyList<string> Folders, int DuplicatesDropped);

/// <summary>
/// Lists Market-named crops (<c>PPPP_cCsS_FFFFFF_NN.jpg</c>) from several folders. Each folder given is either a
/// dataset root with <c>query/</c> and/or <c>bounding_box_test/</c> (both read; <c>bounding_box_train/</c> is not) or a
/// flat folder of crops. Crops are deduplicated by file name (the same Market crop in two collections is one crop).
/// </summary>
public static class CropPool
{
    /// <summary>Test folders a dataset root contributes.</summary>
    public static readonly string[] TestFolders = ["query", "bounding_box_test"];

    /// <summary>Lists the crops of <paramref name="folders"/>.</summary>
    /// <exception cref="ReidDatasetException">A folder is missing, or holds neither crops nor query/ or bounding_box_test/ (named).</exception>
    /// <exception cref="ReidFileNameException">A crop's file name does not parse (named).</exception>
    public static CropSet List(IEnumerable<string> folders)
    {
        var crops = new List<ReidImage>();
        var read = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int duplicates = 0;
        foreach (var given in folders)
        {
            var folder = Path.GetFullPath(given);
            if (!Directory.Exists(folder))
            {
                throw new ReidDatasetException($"Crop folder '{folder}' does not exist.");
            }

            var parts = TestFolders.Select(f => Path.Combine(folder, f)).Where(Directory.Exists).ToList();
            if (parts.Count == 0)
            {
                parts.Add(folder);
            }

            int before = crops.Count + duplicates;
            foreach (var part in parts)
            {
                read.Add(part);
                foreach (var image in MarketLayoutDataset.ListFolder(part))
                {
                    if (seen.Add(Path.GetFileName(image.Path)))
                    {
                        crops.Add(image);
                    }
                    else
                    {
                        duplicates++;
                    }
                }
            }

            if (crops.Count + duplicates == before)
            {
                throw new ReidDatasetException(
                    $"Crop folder '{folder}' holds no image crops (.jpg, .jpeg, .png, .bmp) and no {string.Join(" or ", TestFolders.Select(f => f + "/"))} with crops.");
            }
        }

        return new CropSet(crops, read, duplicates);
    }
}
