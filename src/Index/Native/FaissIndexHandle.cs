using Microsoft.Win32.SafeHandles;

namespace SanReid.Index.Native;

/// <summary>Owns one native <c>sanreid_index*</c>; releasing it frees the FAISS index.</summary>
internal sealed class FaissIndexHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Called by the interop marshaller when a native call hands back a new index.</summary>
    public FaissIndexHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.Free(handle);
        return true;
    }
}
