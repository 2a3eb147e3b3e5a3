using System.Diagnostics;

namespace SanReid.Imaging.Tests;

/// <summary>
/// Replays every file of the decoder's committed fuzz corpus (fuzz/corpus/imaging: the seeds and what AFL++ found,
/// minimised; scripts/fuzz.sh): each one decodes or ends in a documented image error, never anything else, within a
/// time bound. A crash or hang the fuzzer found and that was fixed stays fixed.
/// </summary>
public class FuzzCorpusReplayTests
{
    internal static string CorpusDir { get; } = Path.Combine(FindRoot(), "fuzz", "corpus", "imaging");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"SanReid.sln not found above {AppContext.BaseDirectory}.");
    }

    public static TheoryData<string> CorpusFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Directory.GetFiles(CorpusDir).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
            return data;
        }
    }

    [Fact]
    public void TheCorpusHoldsEveryAcceptedFormat()
    {
        var kinds = Directory.GetFiles(CorpusDir).Select(f =>
        {
            var head = File.ReadAllBytes(f).AsSpan(0, Math.Min(12, (int)new FileInfo(f).Length));
            return head switch
            {
                [0xFF, 0xD8, ..] => "jpeg",
                [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "png",
                [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P'] => "webp",
                [(byte)'B', (byte)'M', ..] => "bmp",
                [(byte)'G', (byte)'I', (byte)'F', ..] => "gif",
                [(byte)'I', (byte)'I', 42, 0, ..] or [(byte)'M', (byte)'M', 0, 42, ..] => "tiff",
                _ => "other",
            };
        }).ToHashSet();

        Assert.Superset(new HashSet<string> { "jpeg", "png", "webp", "bmp", "gif", "tiff" }, kinds);
    }

    public static TheoryData<string> CrashFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Directory.GetFiles(CorpusDir, "crash-*").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
            return data;
        }
    }

    /// <summary>
    /// The inputs on which AFL++ found ImageSharp 2.1 throwing NullReference / IndexOutOfRange / Overflow /
    /// InvalidOperation (a 500 before): a JPEG scan before its frame header or with a component ImageSharp cannot
    /// post-process or whose rows run past its buffer, a TIFF palette shorter than its bit depth or indexed past its end,
    /// a TIFF without a required tag; and a stack overflow (a TIFF inside a JPEG-compressed TIFF strip). Each is a corrupt
    /// (or unsupported) image: the right answer for the client.
    /// </summary>
    [Theory]
    [MemberData(nameof(CrashFiles))]
    public void FileThatCrashedTheDecoderIsCorrupt(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(CorpusDir, name));

        var e = Record.Exception(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        // "-unsupported" files use a feature refused as unsupported (a JPEG-compressed TIFF strip, which made ImageSharp
        // recurse until the stack overflowed); the rest are corrupt.
        Assert.True(name.EndsWith("-unsupported", StringComparison.Ordinal) ? e is UnsupportedImageException : e is CorruptImageException,
            $"{name}: {e?.GetType().Name ?? "decoded"}: {e?.Message}");
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void CorpusFileDecodesOrEndsInAnImageError(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(CorpusDir, name));

        var clock = Stopwatch.StartNew();
        var e = Record.Exception(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.True(e is null or ImageInputException, $"{name}: {e}");
        // Not a benchmark: every file is a few KB; only a hang or a decode sized from a forged header takes seconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{name}: {clock.Elapsed}");
    }
}
