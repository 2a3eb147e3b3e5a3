namespace SanReid.Api.Extensions;

/// <summary>Resolves configured relative paths (model, gallery database) the same way for the service, tests and bench.</summary>
public static class ContentPaths
{
    /// <summary>
    /// An absolute path stays as it is. A relative one resolves against the repository root (the nearest folder at or
    /// above <paramref name="contentRoot"/> that holds SanReid.sln) when there is one, else against
    /// <paramref name="contentRoot"/> (a published app).
    /// </summary>
    public static string Resolve(string path, string contentRoot)
    {
        if (System.IO.Path.IsPathRooted(path))
            return path;
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(FindRepoRoot(contentRoot) ?? contentRoot, path));
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> holding SanReid.sln, or null.</summary>
    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "SanReid.sln")))
                return dir.FullName;
        }
        return null;
    }
}
