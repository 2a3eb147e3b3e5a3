namespace SanReid.Index;

/// <summary>
/// One store per database file: an exclusive OS lock on "&lt;database&gt;.lock" held for the store's life
/// (<see cref="GalleryStore"/> remarks).
/// </summary>
internal static class GalleryFileLock
{
    internal static string LockPath(string databasePath) => databasePath + ".lock";

    /// <summary>
    /// Opens "&lt;database&gt;.lock" with FileShare.None, which .NET implements on Linux/macOS with flock(LOCK_EX): held
    /// until the stream is disposed (or the process dies), refused to every other open in any process. The file
    /// itself stays (deleting lock files races with other openers).
    /// </summary>
    internal static FileStream TakeOwnership(string databasePath, out bool created)
    {
        string lockPath = LockPath(databasePath);
        created = !File.Exists(lockPath);
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException(
                $"Gallery database '{databasePath}' cannot be opened: its lock file '{lockPath}' cannot be created " +
                $"or opened ({e.Message}). The directory must be writable.", e);
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new IOException(
                $"Gallery database '{databasePath}' is already open in another GalleryStore (in this or another " +
                $"process; lock file '{lockPath}': {e.Message}). One store owns a database file: share that store, or " +
                "stop the other process.", e);
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

}
