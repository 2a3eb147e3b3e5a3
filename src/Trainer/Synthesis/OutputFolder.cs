namespace SanReid.Trainer.Synthesis;

/// <summary>Output-folder rules shared by the dataset writers.</summary>
internal static class OutputFolder
{
    /// <summary>Creates <paramref name="path"/>, or accepts it if it exists and is empty.</summary>
    /// <exception cref="IOException">The folder exists and is not empty (nothing is overwritten), or is a file.</exception>
    public static void PrepareEmpty(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            throw new IOException($"Output path '{Path.GetFullPath(path)}' is a file; give a folder.");
        }

        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new IOException($"Output folder '{Path.GetFullPath(path)}' is not empty; give a new or empty folder.");
        }

        Directory.CreateDirectory(path);
    }
}
