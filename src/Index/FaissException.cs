namespace SanReid.Index;

/// <summary>Status codes of the native FAISS shim (src/Index/native/sanreid_faiss.h).</summary>
public enum FaissStatus
{
    Ok = 0,
    InvalidArgument = 1,
    FaissError = 2,
    OutOfMemory = 3,
    NotSupported = 4,
    UnknownError = 5,
}

/// <summary>A native FAISS call failed; <see cref="Exception.Message"/> is FAISS's own message.</summary>
public sealed class FaissException(FaissStatus status, string message) : Exception(message)
{
    /// <summary>The shim's status code.</summary>
    public FaissStatus Status { get; } = status;
}
