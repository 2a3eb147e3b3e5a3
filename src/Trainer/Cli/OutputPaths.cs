namespace SanReid.Trainer.Cli;

/// <summary>Checks an output file path before a command does any work, so a bad <c>--out</c> fails at once and clearly.</summary>
internal static class OutputPaths
{
    /// <summary>Returns the full path of <paramref name="path"/> when a file can be created there.</summary>
    /// <exception cref="IOException">The path is an existing folder, or one of its parent folders is a file.</exception>
    public static string RequireFile(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"{option} '{full}' is an existing folder; give a file path.");
        }

        for (var parent = Path.GetDirectoryName(full); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                throw new IOException($"{option} '{full}' cannot be created: '{parent}' is a file, not a folder.");
            }
        }

        return full;
    }
}
