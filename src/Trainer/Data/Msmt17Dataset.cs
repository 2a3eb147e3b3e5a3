using System.Globalization;
using System.Text.RegularExpressions;

namespace SanReid.Trainer.Data;

/// <summary>
/// MSMT17 (Wei et al., "Person Transfer GAN to Bridge Domain Gap for Person Re-Identification", CVPR 2018) read from
/// its list files: <c>list_train.txt</c>, <c>list_val.txt</c>, <c>list_query.txt</c>, <c>list_gallery.txt</c>, each line
/// <c>&lt;path relative to the split folder&gt; &lt;pid&gt;</c>, e.g. <c>0000/0000_000_01_0303morning_0015_0.jpg 0</c>.
/// Train and val paths are under <c>train/</c>, query and gallery paths under <c>test/</c>.
/// </summary>
/// <remarks>
/// <para>The camera id is the third underscore-separated field of an MSMT17 file name (<c>01</c>..<c>15</c>; kept
/// 1-based). A name in Market-1501 style (<c>PPPP_cCsS_FFFFFF_NN.jpg</c>, as in converted releases) is read with
/// <see cref="Market1501Name"/> instead. A name that fits neither is an error naming the list file and line; it is
/// never given a default camera.</para>
/// <para>The pid is the list file's; train pids are relabelled 0..N-1 in ascending order (MSMT17's are already).
/// By default val is not added to train (the usual protocol); <c>includeVal</c> adds it.</para>
/// </remarks>
public sealed partial class Msmt17Dataset : ReidDataset
{
    [GeneratedRegex(@"^\d+_\d+_(?<cam>\d+)_", RegexOptions.CultureInvariant)]
    private static partial Regex NativeName();

    private Msmt17Dataset(string root, IReadOnlyList<ReidImage> train, IReadOnlyList<ReidImage> query, IReadOnlyList<ReidImage> gallery, int numTrainIds)
        : base(root, train, query, gallery, numTrainIds)
    {
    }

    /// <summary>Reads the four list files under <paramref name="root"/>. Image files are not opened (paths are checked when loaded).</summary>
    /// <param name="root">Folder holding the list files and the <c>train/</c> and <c>test/</c> folders.</param>
    /// <param name="includeVal">Add list_val.txt to the training set.</param>
    /// <param name="trainFolder">Folder of train and val images under the root.</param>
    /// <param name="testFolder">Folder of query and gallery images under the root.</param>
    /// <exception cref="ReidDatasetException">A list file is missing, or a line does not parse (file and line named).</exception>
    public static Msmt17Dataset Load(string root, bool includeVal = false, string trainFolder = "train", string testFolder = "test")
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root))
        {
            throw new ReidDatasetException($"Dataset folder '{root}' does not exist.");
        }

        var train = ReadList(root, "list_train.txt", trainFolder).ToList();
        if (includeVal)
        {
            train.AddRange(ReadList(root, "list_val.txt", trainFolder));
        }

        var query = ReadList(root, "list_query.txt", testFolder);
        var gallery = ReadList(root, "list_gallery.txt", testFolder);
        var (relabelled, numIds) = MarketLayoutDataset.Relabel(train);
        return new Msmt17Dataset(Path.GetFullPath(root), relabelled, query, gallery, numIds);
    }

    /// <summary>Reads one MSMT17 list file: each non-blank line <c>&lt;relative path&gt; &lt;pid&gt;</c>.</summary>
    /// <param name="root">Dataset root.</param>
    /// <param name="listName">List file name under the root.</param>
    /// <param name="imageFolder">Folder under the root that the paths are relative to.</param>
    /// <exception cref="ReidDatasetException">The file is missing or a line does not parse.</exception>
    public static IReadOnlyList<ReidImage> ReadList(string root, string listName, string imageFolder)
    {
        var listPath = Path.Combine(root, listName);
        if (!File.Exists(listPath))
        {
            throw new ReidDatasetException($"MSMT17 list file '{listPath}' does not exist.");
        }

        var images = new List<ReidImage>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(listPath))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid) || pid < -1)
            {
                throw new ReidDatasetException($"{listPath} line {lineNumber}: expected '<relative image path> <pid>', got '{line}'.");
            }

            int camId;
            try
            {
                camId = CameraOf(parts[0]);
            }
            catch (ReidFileNameException e)
            {
                throw new ReidDatasetException($"{listPath} line {lineNumber}: {e.Message}", e);
            }

            images.Add(new ReidImage(Path.GetFullPath(Path.Combine(root, imageFolder, parts[0])), pid, camId));
        }

        return images;
    }

    /// <summary>The camera id of an MSMT17 image name (third field, 1-based) or of a Market-style name.</summary>
    /// <exception cref="ReidFileNameException">Neither form; the message names the file.</exception>
    public static int CameraOf(string fileNameOrPath)
    {
        var name = Path.GetFileName(fileNameOrPath);
        var match = NativeName().Match(name);
        if (match.Success)
        {
            return int.TryParse(match.Groups["cam"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var cam) && cam >= 1
                ? cam
                : throw new ReidFileNameException(fileNameOrPath, $"camera field '{match.Groups["cam"].Value}' is not a positive integer");
        }

        if (Market1501Name.TryParse(name, out var market))
        {
            return market.CamId;
        }

        throw new ReidFileNameException(fileNameOrPath, "expected an MSMT17 name PPPP_III_CC_... or a Market-style name PPPP_cCsS_FFFFFF_NN.jpg");
    }
}
