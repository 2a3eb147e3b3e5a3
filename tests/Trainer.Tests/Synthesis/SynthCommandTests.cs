using System.Diagnostics;

namespace SanReid.Trainer.Tests.Synthesis;

/// <summary>The <c>sanreid-train synth</c> commands, run as the real executable.</summary>
public class SynthCommandTests
{
    [Fact]
    public void SynthPitWritesImagesTexturesAndPairsAndExitsZero()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("pit");
        (int code, string output) = Run("synth", "pit", "--out", root, "--textures", "2", "--poses", "2", "--seed", "4");

        Assert.True(code == 0, output);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(root, "images")).Length);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(root, "textures")).Length);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(root, "pairs.csv")).Length);
    }

    [Fact]
    public void SynthReidWithOneCameraFailsWithExitCodeTwoAndAOneLineReason()
    {
        using var temp = new TempFolder();
        (int code, string output) = Run("synth", "reid", "--out", temp.Sub("reid"), "--train-ids", "2", "--test-ids", "2", "--cameras", "1");

        Assert.Equal(2, code);
        Assert.Contains("synth reid:", output, StringComparison.Ordinal);
        Assert.Contains("Cameras", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
        Assert.False(Directory.Exists(temp.Sub("reid")));
    }

    [Fact]
    public void SynthSheetWritesAPng()
    {
        using var temp = new TempFolder();
        string file = temp.Sub("sheet.png");
        (int code, string output) = Run("synth", "sheet", "--out", file, "--identities", "2", "--renders", "2", "--scale", "0.5");

        Assert.True(code == 0, output);
        var sheet = SanReid.Trainer.Synthesis.RgbImage.Load(file);
        Assert.Equal(((256 + 3 * 132) / 2, 2 * 260 / 2), (sheet.Width, sheet.Height));
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "sanreid-train.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("sanreid-train did not finish in 120 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
