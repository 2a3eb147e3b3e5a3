using System.Diagnostics;

namespace SanReid.Trainer.Tests.Cli;

/// <summary>Runs the built sanreid-train as its own process, as a user would, and captures its exit code and output.</summary>
internal static class TrainerProcess
{
    /// <summary>Lines that only appear when an exception escaped as a dump (managed stack frames, libtorch frames).</summary>
    public static readonly string[] StackTraceMarkers = ["   at ", "frame #", "Unhandled exception"];

    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => Run(null, args);

    public static (int Code, string Stdout, string Stderr) Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
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

        start.Environment.Remove("SANREID_DEBUG");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("sanreid-train did not finish in 180 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Asserts that stderr is exactly one line starting with "error:" and holds no stack trace.</summary>
    public static string AssertOneErrorLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one stderr line, got:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        foreach (var marker in StackTraceMarkers)
        {
            Assert.DoesNotContain(marker, stderr);
        }

        return lines[0];
    }
}
