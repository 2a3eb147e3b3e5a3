namespace SanReid.Trainer.Data;

/// <summary>
/// A re-ID image file name that does not follow the dataset's naming rule. The message and <see cref="FileName"/>
/// name the offending file; a name that does not parse is never given a default camera or identity.
/// </summary>
public sealed class ReidFileNameException(string fileName, string reason)
    : FormatException($"Re-ID file name '{fileName}' does not parse: {reason}.")
{
    /// <summary>The offending file name or path, as it was given.</summary>
    public string FileName { get; } = fileName;
}

/// <summary>
/// A re-ID dataset on disk that cannot be used as given: a missing folder, an empty split, a list file line that
/// does not parse. The message names the folder or file (and line) at fault.
/// </summary>
public sealed class ReidDatasetException(string message, Exception? inner = null) : Exception(message, inner);
