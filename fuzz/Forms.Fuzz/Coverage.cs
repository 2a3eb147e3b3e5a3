using System.Runtime.InteropServices;

namespace SanReid.Fuzz;

/// <summary>Outside afl-fuzz the instrumented assemblies still record coverage: this gives them a buffer to write to.</summary>
internal static class Coverage
{
    public static unsafe void UseScratchBuffer()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);
    }
}
