using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// A fault of the process (an assembly or native library that cannot load, memory) is not the image's fault: it passes
/// through CropDecoder unchanged instead of becoming a "corrupt image". Injected through ImageSharp's own decoder
/// registry: the BMP decoder is replaced by one that identifies with the real decoder and then fails as the runtime would.
/// </summary>
public class CropDecoderFaultTests
{
    private sealed class FaultingDecoder(Func<Exception> fault, bool inIdentify) : IImageDecoder, IImageInfoDetector
    {
        private readonly BmpDecoder _real = new();

        public Image<TPixel> Decode<TPixel>(Configuration configuration, Stream stream, CancellationToken cancellationToken)
            where TPixel : unmanaged, IPixel<TPixel> => throw fault();

        public Image Decode(Configuration configuration, Stream stream, CancellationToken cancellationToken) => throw fault();

        public IImageInfo Identify(Configuration configuration, Stream stream, CancellationToken cancellationToken) =>
            inIdentify ? throw fault() : _real.Identify(configuration, stream, cancellationToken);
    }

    public static TheoryData<string, bool> ServerFaults => new()
    {
        { nameof(FileNotFoundException), false }, { nameof(FileLoadException), false }, { nameof(TypeLoadException), false },
        { nameof(DllNotFoundException), false }, { nameof(BadImageFormatException), false }, { nameof(MissingMethodException), false },
        { nameof(OutOfMemoryException), false }, { nameof(PlatformNotSupportedException), false },
        { nameof(TypeInitializationException), false }, { nameof(NullReferenceException), false },
        { nameof(FileNotFoundException), true }, { nameof(DllNotFoundException), true }, { nameof(OutOfMemoryException), true },
    };

    private static Exception Fault(string name) => name switch
    {
        nameof(FileNotFoundException) => new FileNotFoundException(
            "Could not load file or assembly 'SixLabors.ImageSharp, Version=2.0.0.0'. The system cannot find the file specified."),
        nameof(FileLoadException) => new FileLoadException("Could not load file or assembly 'System.Runtime.Intrinsics'."),
        nameof(TypeLoadException) => new TypeLoadException("Could not load type 'SixLabors.ImageSharp.Formats.Bmp.BmpDecoderCore'."),
        nameof(DllNotFoundException) => new DllNotFoundException("Unable to load shared library 'libSystem.Native'."),
        nameof(BadImageFormatException) => new BadImageFormatException("Format of the executable (.exe) or library (.dll) is invalid."),
        nameof(MissingMethodException) => new MissingMethodException("Method not found: 'Void SixLabors.ImageSharp.Memory.Buffer2D`1..ctor()'."),
        nameof(OutOfMemoryException) => new OutOfMemoryException(),
        nameof(PlatformNotSupportedException) => new PlatformNotSupportedException("Vector512 is not supported."),
        nameof(TypeInitializationException) => new TypeInitializationException("SixLabors.ImageSharp.Configuration", null),
        nameof(NullReferenceException) => new NullReferenceException(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(ServerFaults))]
    public void ServerFaultWhileDecodingPassesThroughUnchanged(string fault, bool inIdentify)
    {
        var config = CropDecoder.CreateConfiguration();
        config.ImageFormatsManager.SetDecoder(BmpFormat.Instance, new FaultingDecoder(() => Fault(fault), inIdentify));
        using var image = TopRedBottomBlue(8, 16);
        var bmp = Encode(image, new BmpEncoder());

        var e = Record.Exception(() => CropDecoder.DecodeAndResizeWith(new MemoryStream(bmp), null, config));

        Assert.NotNull(e);
        Assert.Equal(fault, e.GetType().Name);
        Assert.IsNotAssignableFrom<ImageInputException>(e);
    }

    [Fact]
    public void TheSameBmpDecodesWithTheRealDecoder()
    {
        using var image = TopRedBottomBlue(8, 16);
        var crop = CropDecoder.DecodeAndResizeWith(new MemoryStream(Encode(image, new BmpEncoder())), null, CropDecoder.CreateConfiguration());
        AssertClose(Red, At(crop, 40, 64), 0);
    }
}
