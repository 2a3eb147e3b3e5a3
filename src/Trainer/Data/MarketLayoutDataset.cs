namespace SanReid.Trainer.Data;

/// <summary>
/// A re-ID dataset in the Market-1501 folder layout: <c>bounding_box_train/</c>, <c>query/</c>,
/// <c>bounding_box_test/</c> (gallery) under one root. DukeMTMC-reID and the CUHK03-NP release use the same layout
/// and naming (see <see cref="Market1501Name"/>).
/// </summary>
/// <remarks>
/// Protocol (Market-1501 evaluation code; DESIGN.md "Evaluation protocol"): query and gallery keep every image,
/// pid -1 (junk) and pid 0 (distractors) included, because junk removal is the evaluator's job
/// (<see cref="Evaluation.ReidEvaluator"/>). Train images with pid -1 are dropped (they have no identity); the
/// remaining train pids (pid 0 included, if any) are relabelled 0..N-1 in ascending pid order. Every list is sorted by
/// path; a split folder that is absent and not required gives an empty list.
/// </remarks>
public sealed class MarketLayoutDataset : ReidDataset
{
    /// <summary>Folder names of the three splits. Defaults are Market-1501's.</summary>
    public sealed record Folders(string Train = "bounding_box_train", string Query = "query", string Gallery = "bounding_box_test");

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp" };

    private MarketLayoutDataset(string root, IReadOnlyList<ReidImage> train, IReadOnlyList<ReidImage> query, IReadOnlyList<ReidImage> gallery, int numTrainIds)
        : base(root, train, query, gallery, numTrainIds)
    {
    }

    /// <summary>
    /// Lists the images of a Market-layout dataset. Only files with the extensions .jpg, .jpeg, .png, .bmp are read
    /// (other files such as Thumbs.db are ignored); every such file name must parse.
    /// </summary>
    /// <param name="root">Dataset root holding the split folders.</param>
    /// <param name="requireTrain">When true, a missing train folder is an error; otherwise Train is empty.</param>
    /// <param name="requireTest">When true, missing query or gallery folders are errors; otherwise they are empty.</param>
    /// <param name="folders">Split folder names; default Market-1501's.</param>
    /// <exception cref="ReidDatasetException">The root or a required split folder is missing.</exception>
    /// <exception cref="ReidFileNameException">An image file name does not parse; the message names the file.</exception>
    public static MarketLayoutDataset Load(string root, bool requireTrain = true, bool requireTest = true, Folders? folders = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        folders ??= new Folders();
        if (!Directory.Exists(root))
        {
            throw new ReidDatasetException($"Dataset folder '{root}' does not exist.");
        }

        var trainRaw = ListSplit(root, folders.Train, requireTrain);
        var query = ListSplit(root, folders.Query, requireTest);
        var gallery = ListSplit(root, folders.Gallery, requireTest);
        var (train, numIds) = Relabel(trainRaw);
        return new MarketLayoutDataset(Path.GetFullPath(root), train, query, gallery, numIds);
    }

    /// <summary>
    /// Lists one folder of Market-style crops (not recursive), sorted by path, Label -1.
    /// </summary>
    /// <exception cref="ReidDatasetException">The folder does not exist.</exception>
    /// <exception cref="ReidFileNameException">An image file name does not parse.</exception>
    public static IReadOnlyList<ReidImage> ListFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new ReidDatasetException($"Image folder '{folder}' does not exist.");
        }

        var images = new List<ReidImage>();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            if (!ImageExtensions.Contains(Path.GetExtension(path)))
            {
                continue;
            }

            var name = Market1501Name.Parse(path);
            images.Add(new ReidImage(path, name.Pid, name.CamId));
        }

        return images;
    }

    /// <summary>
    /// Drops pid -1 and assigns labels 0..N-1 in ascending pid order (the relabelling of the public Market-1501
    /// loaders, so label order does not depend on file-system order).
    /// </summary>
    /// <returns>The relabelled images (input order kept) and N.</returns>
    public static (IReadOnlyList<ReidImage> Images, int NumIds) Relabel(IEnumerable<ReidImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var kept = images.Where(i => i.Pid != -1).ToList();
        var labelOf = kept.Select(i => i.Pid).Distinct().Order().Select((pid, label) => (pid, label)).ToDictionary(t => t.pid, t => t.label);
        return (kept.Select(i => i with { Label = labelOf[i.Pid] }).ToList(), labelOf.Count);
    }

    private static IReadOnlyList<ReidImage> ListSplit(string root, string folderName, bool required)
    {
        var folder = Path.Combine(root, folderName);
        if (!Directory.Exists(folder))
        {
            return required
                ? throw new ReidDatasetException($"Dataset '{root}' has no '{folderName}' folder (expected Market-1501 layout: bounding_box_train/, query/, bounding_box_test/).")
                : [];
        }

        return ListFolder(folder);
    }
}
