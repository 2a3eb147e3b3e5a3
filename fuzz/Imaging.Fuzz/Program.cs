using SanReid.Imaging;
using SharpFuzz;

namespace SanReid.Fuzz.Imaging;

/// <summary>
/// AFL++ target for <see cref="CropDecoder.DecodeAndResize"/>: an input is one upload's bytes. A crash is any exception
/// other than the documented image errors (<see cref="ImageInputException"/>: not_an_image, unsupported_image,
/// corrupt_image, image_too_large, empty_image), i.e. an upload the Api would answer with a 500.
/// </summary>
/// <remarks>
/// <c>Imaging.Fuzz</c> runs under afl-fuzz (scripts/fuzz.sh imaging MINUTES); <c>Imaging.Fuzz --seeds DIR</c> writes the
/// seed corpus (one small file per accepted format and variant); <c>Imaging.Fuzz --run FILE...</c> runs inputs once each
/// and prints the outcome (for triage). For speed (an execution should take milliseconds) the pixel limit is 1 MP instead
/// of the Api's 40 MP, the output 32x16 instead of 256x128, and ImageSharp runs on one thread (parallel rows would make
/// the coverage differ from run to run): the code paths are the same as the Api's.
/// </remarks>
public static class Program
{
    private static readonly CropDecoderOptions Options = new() { MaxPixels = 1_000_000, Height = 32, Width = 16 };

    private static readonly SixLabors.ImageSharp.Configuration Config = CreateConfiguration();

    private static SixLabors.ImageSharp.Configuration CreateConfiguration()
    {
        var config = CropDecoder.CreateConfiguration();
        config.MaxDegreeOfParallelism = 1;
        return config;
    }

    public static int Main(string[] args)
    {
        if (args is ["--seeds", var dir])
        {
            Coverage.UseScratchBuffer();
            Seeds.Write(dir);
            return 0;
        }
        if (args is ["--run", .. var files])
        {
            Coverage.UseScratchBuffer();
            int failures = 0;
            foreach (var file in files)
            {
                try
                {
                    using var stream = File.OpenRead(file);
                    Console.WriteLine($"{file}: {RunOne(stream)}");
                }
                catch (Exception e)
                {
                    failures++;
                    Console.WriteLine($"{file}: CRASH {e}");
                }
            }
            return failures == 0 ? 0 : 1;
        }
        // Warm-up: decode every seed once, so that the JIT compiles the decoders before the fuzzing loop (a cold WebP or
        // TIFF decode took over 10 s on the loaded build machine). Out-of-process mode: this Main also runs in the child
        // that executes the inputs, so the child warms up (scripts/fuzz.sh gives AFL a 60 s timeout for that first
        // execution); a crash or hang restarts the child, not the fork server. (In-process Fuzzer.Run died with its fork
        // server at the first hang.) Fuzzer.OutOfProcess.Run then attaches the real coverage map.
        Coverage.UseScratchBuffer();
        foreach (var (_, bytes) in Seeds.Generate())
            RunOne(new MemoryStream(bytes));
        Fuzzer.OutOfProcess.Run(stream => RunOne(stream));
        return 0;
    }

    /// <summary>Decodes one input; returns "ok" or the image error's code; throws anything else.</summary>
    public static string RunOne(Stream input)
    {
        try
        {
            CropDecoder.DecodeAndResizeWith(input, Options, Config);
            return "ok";
        }
        catch (ImageInputException e)
        {
            return e.Code;
        }
    }
}
