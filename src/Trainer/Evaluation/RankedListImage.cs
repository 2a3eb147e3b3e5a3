using SanReid.Imaging;
using SanReid.Trainer.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Trainer.Evaluation;

/// <summary>
/// The ranked-list picture of one query (issue 4 "Evaluation"): the query crop framed blue, a gap, then the top
/// gallery crops best first, each framed green when it is a true match and red otherwise. Crops are shown at the
/// network input size (256x128 by default); junk is never shown because <see cref="QueryRanking.TopGalleryIndices"/>
/// excludes it.
/// </summary>
public static class RankedListImage
{
    private const int Frame = 4;
    private const int Spacing = 6;
    private const int QueryGap = 24;
    private static readonly Rgb24 Background = new(255, 255, 255);
    private static readonly Rgb24 QueryColour = new(30, 90, 220);
    private static readonly Rgb24 MatchColour = new(20, 170, 40);
    private static readonly Rgb24 MismatchColour = new(220, 30, 30);

    /// <summary>Writes the picture for <paramref name="ranking"/> as a PNG.</summary>
    /// <param name="outputPath">PNG file to write (its folder is created).</param>
    /// <param name="ranking">The query's ranking from <see cref="ReidEvaluator"/>.</param>
    /// <param name="queryPaths">Image file of every query row.</param>
    /// <param name="galleryPaths">Image file of every gallery row.</param>
    /// <param name="reader">Crop reader (tile size); null = 256x128.</param>
    /// <exception cref="ReidDatasetException">A crop cannot be read (the file is named).</exception>
    public static void Write(string outputPath, QueryRanking ranking, IReadOnlyList<string> queryPaths, IReadOnlyList<string> galleryPaths, CropReader? reader = null)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(queryPaths);
        ArgumentNullException.ThrowIfNull(galleryPaths);
        Write(outputPath, queryPaths[ranking.QueryIndex], ranking.TopGalleryIndices.Select(i => galleryPaths[i]).ToArray(), ranking.TopIsMatch, reader);
    }

    /// <summary>Writes the picture for a query file and its ranked gallery files as a PNG.</summary>
    /// <param name="outputPath">PNG file to write (its folder is created).</param>
    /// <param name="queryPath">Query image file.</param>
    /// <param name="rankedGalleryPaths">Gallery image files, best first.</param>
    /// <param name="isMatch">For each ranked file: is it a true match (green) or not (red).</param>
    /// <param name="reader">Crop reader (tile size); null = 256x128.</param>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    /// <exception cref="ReidDatasetException">A crop cannot be read (the file is named).</exception>
    public static void Write(string outputPath, string queryPath, IReadOnlyList<string> rankedGalleryPaths, IReadOnlyList<bool> isMatch, CropReader? reader = null)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(rankedGalleryPaths);
        ArgumentNullException.ThrowIfNull(isMatch);
        if (rankedGalleryPaths.Count != isMatch.Count)
        {
            throw new ArgumentException($"{rankedGalleryPaths.Count} gallery files but {isMatch.Count} match flags.");
        }

        reader ??= new CropReader();
        var query = reader.ReadImage(queryPath);
        var tiles = rankedGalleryPaths.Select(reader.ReadImage).ToArray();
        var tileW = query.Width + 2 * Frame;
        var tileH = query.Height + 2 * Frame;
        var width = Spacing + tileW + QueryGap + tiles.Length * (tileW + Spacing);
        var height = tileH + 2 * Spacing;

        using var image = new Image<Rgb24>(width, height, Background);
        Draw(image, query, Spacing, Spacing, QueryColour);
        for (var i = 0; i < tiles.Length; i++)
        {
            Draw(image, tiles[i], Spacing + tileW + QueryGap + i * (tileW + Spacing), Spacing, isMatch[i] ? MatchColour : MismatchColour);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        image.SaveAsPng(outputPath);
    }

    private static void Draw(Image<Rgb24> image, RgbCrop crop, int left, int top, Rgb24 frame)
    {
        for (var y = 0; y < crop.Height + 2 * Frame; y++)
        {
            for (var x = 0; x < crop.Width + 2 * Frame; x++)
            {
                var inside = y >= Frame && y < crop.Height + Frame && x >= Frame && x < crop.Width + Frame;
                if (!inside)
                {
                    image[left + x, top + y] = frame;
                    continue;
                }

                var p = ((y - Frame) * crop.Width + (x - Frame)) * 3;
                image[left + x, top + y] = new Rgb24(crop.Pixels[p], crop.Pixels[p + 1], crop.Pixels[p + 2]);
            }
        }
    }
}
