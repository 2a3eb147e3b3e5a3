using SanReid.Trainer.Cli;

namespace SanReid.Trainer.Tests.Cli;

/// <summary>The exit-code convention: one "error:" line; 1 runtime/input-file errors, 2 usage errors; stack traces only with SANREID_DEBUG=1.</summary>
public sealed class CommandErrorsTests
{
    [Fact]
    public void AnUnexpectedExceptionIsOneLineNamingItsTypeWithTheDebugHint()
    {
        var error = new StringWriter();

        int code = WithoutDebug(() => CommandErrors.Report(Thrown(new NullReferenceException("boom")), null, error));

        Assert.Equal(CommandErrors.RuntimeError, code);
        var text = error.ToString().TrimEnd();
        Assert.DoesNotContain('\n', text);
        Assert.Equal("error: unexpected NullReferenceException: boom (run with SANREID_DEBUG=1 for the stack trace)", text);
    }

    [Fact]
    public void AUsageErrorExitsTwoAndAFileErrorExitsOneBothWithTheCommandPrefix()
    {
        var usage = new StringWriter();
        var file = new StringWriter();

        int usageCode = WithoutDebug(() => CommandErrors.Report(new UsageException("--poses must be in 1..99 (got 0)."), "synth pit", usage));
        int fileCode = WithoutDebug(() => CommandErrors.Report(Thrown(new IOException("Output folder '/x' is not empty.")), "synth pit", file));

        Assert.Equal((2, 1), (usageCode, fileCode));
        Assert.Equal("error: synth pit: --poses must be in 1..99 (got 0).", usage.ToString().TrimEnd());
        Assert.Equal("error: synth pit: Output folder '/x' is not empty.", file.ToString().TrimEnd());
    }

    [Fact]
    public void AParseErrorIsAnErrorLineWithAPointerToHelpAndExitCodeTwo()
    {
        var (code, _, stderr) = TrainerProcess.Run("rank", "--model", "m.onnx", "--query", ".", "--gallery", ".", "--top", "abc");

        Assert.Equal(2, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains("'abc'", lines[0]);
        Assert.Equal("Run 'sanreid-train rank --help' for usage.", lines[^1]);
    }

    [Fact]
    public void EvalRefusesReRankingSettingsOutOfRangeAsAUsageError()
    {
        var (code, _, stderr) = TrainerProcess.Run("eval", "--weights", "none.safetensors", "--data", ".", "--rerank", "--rerank-k1", "0");

        Assert.Equal(2, code);
        Assert.Equal("error: eval: --rerank-k1 and --rerank-k2 must be >= 1 and --rerank-lambda in [0, 1]; got 0, 6, 0.3.", stderr.Trim());
    }

    [Fact]
    public void SanreidDebugAddsTheStackTrace()
    {
        var folder = Directory.CreateTempSubdirectory("sanreid-debug-").FullName;
        try
        {
            var weights = Path.Combine(folder, "garbage.pth");
            File.WriteAllText(weights, "not a checkpoint");
            var debug = new Dictionary<string, string> { ["SANREID_DEBUG"] = "1" };

            var (code, _, stderr) = TrainerProcess.Run(debug, "export", "--weights", weights, "--out", Path.Combine(folder, "x.onnx"));

            Assert.Equal(1, code);
            Assert.StartsWith("error: ", stderr);
            Assert.Contains("   at ", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Exception Thrown(Exception e)
    {
        try
        {
            throw e;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }

    private static int WithoutDebug(Func<int> report)
    {
        var saved = Environment.GetEnvironmentVariable(CommandErrors.DebugVariable);
        Environment.SetEnvironmentVariable(CommandErrors.DebugVariable, null);
        try
        {
            return report();
        }
        finally
        {
            Environment.SetEnvironmentVariable(CommandErrors.DebugVariable, saved);
        }
    }
}
