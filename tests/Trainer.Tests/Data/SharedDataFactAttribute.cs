namespace SanReid.Trainer.Tests.Data;

/// <summary>Locates ../shared next to the repository root (the folder holding SanReid.sln).</summary>
internal static class SharedData
{
    /// <summary>Full path of <c>&lt;repo&gt;/../shared/&lt;relative&gt;</c>, or null when the repo root or the folder is absent.</summary>
    public static string? Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
            {
                var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", relative));
                return Directory.Exists(path) ? path : null;
            }
        }

        return null;
    }

    /// <summary>As <see cref="Find"/>, for tests already guarded by <see cref="SharedDataFactAttribute"/>.</summary>
    public static string Require(string relative) =>
        Find(relative) ?? throw new DirectoryNotFoundException($"../shared/{relative} is missing.");
}

/// <summary>A fact that is skipped (not failed) when <c>../shared/&lt;folder&gt;</c> is absent.</summary>
internal sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string folder)
    {
        if (SharedData.Find(folder) is null)
        {
            Skip = $"../shared/{folder} is absent.";
        }
    }
}
