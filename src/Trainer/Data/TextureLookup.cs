namespace SanReid.Trainer.Data;

/// <summary>
/// Finds the (pseudo) ground-truth texture of a re-ID training image (DESIGN.md "SAN-PG and pseudo ground truth").
/// </summary>
/// <remarks>
/// <para>Two rules:</para>
/// <list type="bullet">
/// <item><see cref="ParallelFolder"/> (default): the texture has the image's path relative to the image root, under the
/// texture root (<c>images/bounding_box_train/0002_c1s1_000451_03.jpg</c> to
/// <c>textures/bounding_box_train/0002_c1s1_000451_03.jpg</c>).</item>
/// <item><see cref="FolderNameSubstitution"/>: the public code's rule, which replaces the image folder's name with the
/// texture folder's name in the path (there: <c>images_labeled</c> to <c>texture_cuhk03_labeled</c>). Ours replaces a
/// whole path segment (the last one equal to the name), not any substring.</item>
/// </list>
/// <para>In both, when the file with the image's own name is absent, the same stem with <c>.png</c>, <c>.jpg</c> or
/// <c>.jpeg</c> is tried, in that order (pseudo textures are often written as PNG).</para>
/// </remarks>
public sealed class TextureLookup
{
    private static readonly string[] FallbackExtensions = [".png", ".jpg", ".jpeg"];
    private readonly Func<string, string> candidate;
    private readonly string description;

    private TextureLookup(Func<string, string> candidate, string description)
    {
        this.candidate = candidate;
        this.description = description;
    }

    /// <summary>Textures under <paramref name="textureRoot"/> at the images' paths relative to <paramref name="imageRoot"/>.</summary>
    public static TextureLookup ParallelFolder(string imageRoot, string textureRoot)
    {
        ArgumentNullException.ThrowIfNull(imageRoot);
        ArgumentNullException.ThrowIfNull(textureRoot);
        var images = Path.GetFullPath(imageRoot);
        var textures = Path.GetFullPath(textureRoot);
        return new TextureLookup(
            imagePath =>
            {
                var relative = Path.GetRelativePath(images, Path.GetFullPath(imagePath));
                if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                {
                    throw new ReidDatasetException($"Image '{imagePath}' is not under the image root '{images}', so it has no texture under '{textures}'.");
                }

                return Path.Combine(textures, relative);
            },
            $"parallel folder '{textures}' of '{images}'");
    }

    /// <summary>The public code's rule: the last path segment equal to <paramref name="imageFolderName"/> becomes <paramref name="textureFolderName"/>.</summary>
    public static TextureLookup FolderNameSubstitution(string imageFolderName, string textureFolderName)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageFolderName);
        ArgumentException.ThrowIfNullOrEmpty(textureFolderName);
        return new TextureLookup(
            imagePath =>
            {
                var full = Path.GetFullPath(imagePath);
                var segments = full.Split(Path.DirectorySeparatorChar);
                var index = Array.LastIndexOf(segments, imageFolderName, segments.Length - 2);
                if (index < 0)
                {
                    throw new ReidDatasetException($"Image '{imagePath}' has no folder named '{imageFolderName}' to replace with '{textureFolderName}'.");
                }

                segments[index] = textureFolderName;
                return string.Join(Path.DirectorySeparatorChar, segments);
            },
            $"folder '{imageFolderName}' replaced by '{textureFolderName}'");
    }

    /// <summary>The texture file of <paramref name="imagePath"/>.</summary>
    /// <exception cref="ReidDatasetException">The image is outside the rule's reach, or no texture file exists (both paths named).</exception>
    public string Find(string imagePath) =>
        TryFind(imagePath, out var texturePath, out var tried)
            ? texturePath
            : throw new ReidDatasetException($"No texture for image '{imagePath}' ({description}); tried '{tried}' and the stem with {string.Join(", ", FallbackExtensions)}.");

    /// <summary>As <see cref="Find"/>, returning false when no texture file exists.</summary>
    /// <exception cref="ReidDatasetException">The image is outside the rule's reach.</exception>
    public bool TryFind(string imagePath, out string texturePath) => TryFind(imagePath, out texturePath, out _);

    private bool TryFind(string imagePath, out string texturePath, out string tried)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        tried = candidate(imagePath);
        if (File.Exists(tried))
        {
            texturePath = tried;
            return true;
        }

        foreach (var extension in FallbackExtensions)
        {
            var other = Path.ChangeExtension(tried, extension);
            if (File.Exists(other))
            {
                texturePath = other;
                return true;
            }
        }

        texturePath = string.Empty;
        return false;
    }
}
