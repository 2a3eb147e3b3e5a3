namespace SanReid.Synthesis;

/// <summary>Output-folder rules shared by the dataset writers.</summary>
internal static class OutputFolder
{
    /// <summary>Creates <paramref name="path"/>, or accepts it if it exists and is empty.</summary>
    /// <returns>True when this call created the folder.</returns>
    /// <exception cref="IOException">The folder exists and is not empty (nothing is overwritten), or is a file.</exception>
    public static bool PrepareEmpty(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            throw new IOException($"Output path '{Path.GetFullPath(path)}' is a file; give a folder.");
        }

        if (Directory.Exists(path))
        {
            if (Directory.EnumerateFileSystemEntries(path).Any())
            {
                throw new IOException($"Output folder '{Path.GetFullPath(path)}' is not empty; give a new or empty folder.");
            }

            return false;
        }

        Directory.CreateDirectory(path);
        return true;
    }

    /// <summary>
    /// Prepares <paramref name="path"/> with <see cref="PrepareEmpty"/> and runs <paramref name="write"/> into it. When
    /// <paramref name="write"/> throws, everything this run created is removed (the folder itself when it was new,
    /// else its contents, which were all written by this run) and the exception propagates, so a rerun finds the folder
    /// as it was.
    /// </summary>
    /// <exception cref="IOException">As <see cref="PrepareEmpty"/>; nothing is removed then.</exception>
    public static T WriteInto<T>(string path, Func<T> write)
    {
        bool created = PrepareEmpty(path);
        try
        {
            return write();
        }
        catch
        {
            RemoveWritten(path, created);
            throw;
        }
    }

    private static void RemoveWritten(string path, bool created)
    {
        try
        {
            if (created)
            {
                Directory.Delete(path, recursive: true);
                return;
            }

            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo folder)
                {
                    folder.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original error is the one to report.
        }
    }
}
