namespace SanReid.Index.Tests;

/// <summary>A fact that is skipped for root, for whom file permissions do not apply.</summary>
public sealed class FactUnlessRootAttribute : FactAttribute
{
    public FactUnlessRootAttribute()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            Skip = "File permissions do not restrict root (or this is Windows).";
        }
    }
}
