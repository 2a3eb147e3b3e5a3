namespace SanReid.Imaging.Tests;

/// <summary>Out-of-range options are refused where they are set, naming the option.</summary>
public class CropDecoderOptionsTests
{
    public static TheoryData<string, Func<CropDecoderOptions>> OutOfRange => new()
    {
        { "Height", () => new CropDecoderOptions { Height = 0 } },
        { "Height", () => new CropDecoderOptions { Height = CropDecoderOptions.MaxOutputSide + 1 } },
        { "Width", () => new CropDecoderOptions { Width = -1 } },
        { "Width", () => new CropDecoderOptions { Width = 100_000 } },
        { "MaxPixels", () => new CropDecoderOptions { MaxPixels = 0 } },
        { "MaxSide", () => new CropDecoderOptions { MaxSide = 0 } },
        { "MaxBytes", () => new CropDecoderOptions { MaxBytes = 0 } },
        { "MaxJpegScans", () => new CropDecoderOptions { MaxJpegScans = 0 } },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void OutOfRangeOptionIsRefusedWhenSet(string name, Func<CropDecoderOptions> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => create());
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void BoundaryValuesAreAccepted()
    {
        var options = CropDecoderOptions.Default with { Height = 1, Width = CropDecoderOptions.MaxOutputSide, MaxSide = 1, MaxJpegScans = 1 };
        Assert.Equal((1, CropDecoderOptions.MaxOutputSide), (options.Height, options.Width));
    }
}
