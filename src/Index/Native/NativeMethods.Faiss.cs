using System.Runtime.InteropServices;

namespace SanReid.Index.Native;

/// <summary>
/// P/Invoke declarations for libsanreid_faiss.so (src/Index/native/sanreid_faiss.h). Every call returns a status code
/// that <see cref="FaissStatus"/> names; callers check it through <see cref="FaissIndex"/>'s single check method.
/// </summary>
internal static partial class NativeMethods
{
    private const string Library = "sanreid_faiss";

    /// <summary>
    /// libgomp reads OMP_WAIT_POLICY once, when it is loaded with the shim; unset, idle OpenMP threads spin and take
    /// the cores FAISS's working threads need (3-6x slower search on 2 shared cores, DESIGN.md). So before the first
    /// call the process environment gets PASSIVE, unless it already names a policy. (.NET's
    /// Environment.SetEnvironmentVariable does not reach the native environment on Unix, hence libc's setenv.)
    /// </summary>
    static NativeMethods()
    {
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    internal const int SelectAll = 0;
    internal const int SelectAllow = 1;
    internal const int SelectDeny = 2;

    /// <summary>Message of the last failure on this thread; a pointer into native thread-local storage (never freed here).</summary>
    [LibraryImport(Library, EntryPoint = "sanreid_faiss_last_error")]
    internal static partial nint LastError();

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_version")]
    internal static partial nint Version();

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Create(string factory, int dimension, out FaissIndexHandle index);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_read", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Read(string path, out FaissIndexHandle index);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_write", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Write(FaissIndexHandle index, string path);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_free")]
    internal static partial void Free(nint index);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_dimension")]
    internal static partial int Dimension(FaissIndexHandle index, out int dimension);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_ntotal")]
    internal static partial int Count(FaissIndexHandle index, out long count);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_is_trained")]
    internal static partial int IsTrained(FaissIndexHandle index, out int trained);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_supports_remove")]
    internal static partial int SupportsRemove(FaissIndexHandle index, out int supported);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_min_training_points")]
    internal static partial int MinTrainingPoints(FaissIndexHandle index, out long points);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_train")]
    internal static unsafe partial int Train(FaissIndexHandle index, long n, float* x);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_add_with_ids")]
    internal static unsafe partial int AddWithIds(FaissIndexHandle index, long n, float* x, long* ids);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_search")]
    internal static unsafe partial int Search(
        FaissIndexHandle index, long n, float* x, long k, int selection, long* selectionIds, long selectionCount,
        float* distances, long* labels);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_search_bitmap")]
    internal static unsafe partial int SearchBitmap(
        FaissIndexHandle index, long n, float* x, long k, byte* bitmap, long bitmapBytes, long nprobe,
        float* distances, long* labels);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_remove_unselected")]
    internal static unsafe partial int RemoveUnselected(FaissIndexHandle index, byte* bitmap, long bitmapBytes, out long removed);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_remove_ids")]
    internal static unsafe partial int RemoveIds(FaissIndexHandle index, long n, long* ids, out long removed);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_get_nlist")]
    internal static partial int GetNlist(FaissIndexHandle index, out long nlist);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_get_nprobe")]
    internal static partial int GetNprobe(FaissIndexHandle index, out long nprobe);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_set_nprobe")]
    internal static partial int SetNprobe(FaissIndexHandle index, long nprobe);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_get_ef_search")]
    internal static partial int GetEfSearch(FaissIndexHandle index, out int efSearch);

    [LibraryImport(Library, EntryPoint = "sanreid_faiss_set_ef_search")]
    internal static partial int SetEfSearch(FaissIndexHandle index, int efSearch);
}
