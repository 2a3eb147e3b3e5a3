using SanReid.Synthesis;
using SanReid.Synthesis.Tests;
using SanReid.Trainer.Tests.Cli;

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
        Assert.Contains("error: synth reid: --cameras must be in 2..15 (got 1)", output, StringComparison.Ordinal);
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
        var sheet = SanReid.Synthesis.RgbImage.Load(file);
        Assert.Equal(((256 + 3 * 132) / 2, 2 * 260 / 2), (sheet.Width, sheet.Height));
    }

    [Theory]
    [InlineData("--hard-negatives", "NaN")]
    [InlineData("--hard-negatives", "5")]
    [InlineData("--distractors", "-2")]
    [InlineData("--junk", "-5")]
    [InlineData("--distractors", "100001")]
    [InlineData("--train-ids", "2147483647")]
    [InlineData("--test-ids", "2147483647")]
    public void SynthReidRefusesAnOutOfRangeValueNamingItsOptionAndCreatesNothing(string option, string value)
    {
        using var temp = new TempFolder();
        string root = temp.Sub("reid");
        var args = new Dictionary<string, string> { ["--train-ids"] = "2", ["--test-ids"] = "2", [option] = value };

        (int code, string output) = Run(["synth", "reid", "--out", root, .. args.SelectMany(p => new[] { p.Key, p.Value })]);

        Assert.Equal(2, code);
        Assert.Contains($"error: synth reid: {option} must be", output, StringComparison.Ordinal);
        Assert.Contains($"(got {value})", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root), "a refused run created its output folder");
    }

    [Fact]
    public void SynthReidRefusesMoreIdentitiesThanFourDigitPidsHold()
    {
        using var temp = new TempFolder();
        (int code, string output) = Run("synth", "reid", "--out", temp.Sub("reid"), "--train-ids", "5000", "--test-ids", "5000");

        Assert.Equal(2, code);
        Assert.Contains("error: synth reid: --train-ids + --test-ids is 10000; at most 9999", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Sub("reid")));
    }

    [Fact]
    public void SynthReidIntoAGivenEmptyFolderLeavesItEmptyAfterARefusalSoTheRerunSucceeds()
    {
        using var temp = new TempFolder();
        string root = Directory.CreateDirectory(temp.Sub("reid")).FullName;

        (int refused, _) = Run("synth", "reid", "--out", root, "--train-ids", "1", "--test-ids", "1", "--hard-negatives", "NaN");
        Assert.Equal(2, refused);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));

        (int code, string output) = Run("synth", "reid", "--out", root, "--train-ids", "1", "--test-ids", "1", "--distractors", "0", "--junk", "0");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(root, "labels.csv")));
    }

    [Fact]
    public void SynthReidRefusesAnUnknownDisableNameWithExitCodeTwoListingTheValidNames()
    {
        using var temp = new TempFolder();
        (int code, string output) = Run("synth", "reid", "--out", temp.Sub("reid"), "--train-ids", "1", "--test-ids", "1", "--disable", "occlusion,texture");

        Assert.Equal(2, code);
        Assert.Contains("error: synth reid: --disable: unknown randomisation 'texture'; valid names: textures, backgrounds, occlusion, crop-jitter, camera-look, body-shape, lighting", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Sub("reid")));
    }

    [Fact]
    public void SynthReidWithDisabledRandomisationsWritesADatasetAndSaysWhatWasOff()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("reid");
        (int code, string output) = Run("synth", "reid", "--out", root, "--train-ids", "2", "--test-ids", "1", "--disable", "textures,occlusion,camera-look");

        Assert.True(code == 0, output);
        Assert.Contains("0 occluded; randomisations off: textures,occlusion,camera-look", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "labels.csv")));
    }

    [Fact]
    public void SynthPitIntoANonEmptyFolderIsAFileErrorWithExitCodeOne()
    {
        using var temp = new TempFolder();
        string root = Directory.CreateDirectory(temp.Sub("pit")).FullName;
        File.WriteAllText(Path.Combine(root, "keep.txt"), "mine");

        (int code, string output) = Run("synth", "pit", "--out", root, "--textures", "1", "--poses", "1");

        Assert.Equal(1, code);
        Assert.Contains("error: synth pit: Output folder", output, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName));
    }

    [Fact]
    public void SynthSheetWithANaNScaleIsAUsageErrorNotACrash()
    {
        using var temp = new TempFolder();
        (int code, string output) = Run("synth", "sheet", "--out", temp.Sub("sheet.png"), "--scale", "NaN");

        Assert.Equal(2, code);
        Assert.Contains("error: synth sheet: --scale must be in 0.25..1 (got NaN)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.Sub("sheet.png")));
    }

    [Fact]
    public void SynthSheetKeepsAnExistingFileUnlessForced()
    {
        using var temp = new TempFolder();
        string file = temp.Sub("sheet.png");
        File.WriteAllText(file, "precious");

        (int refused, string message) = Run("synth", "sheet", "--out", file, "--identities", "1", "--renders", "1", "--scale", "0.25");
        Assert.Equal(1, refused);
        Assert.Contains("exists; nothing is overwritten (pass --force", message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(file));

        (int forced, string output) = Run("synth", "sheet", "--out", file, "--identities", "1", "--renders", "1", "--scale", "0.25", "--force");
        Assert.True(forced == 0, output);
        Assert.Equal(130, SanReid.Synthesis.RgbImage.Load(file).Width);
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        var (code, stdout, stderr) = TrainerProcess.Run(args);
        return (code, stdout + stderr);
    }
}
