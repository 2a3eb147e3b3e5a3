using Microsoft.ML.OnnxRuntime;
using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Export;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Cli;

/// <summary>
/// The exit-code convention of sanreid-train: 0 success; 1 a runtime or input-file error (unreadable weights, images or
/// model, a folder that cannot be written, a failed export check); 2 a usage error (bad option values). Every failure is
/// one stderr line starting with <c>error:</c>; a stack trace is printed only with <c>SANREID_DEBUG=1</c>.
/// </summary>
internal static class CommandErrors
{
    /// <summary>Exit code of runtime and input-file errors.</summary>
    public const int RuntimeError = 1;

    /// <summary>Exit code of usage errors (bad option values).</summary>
    public const int UsageError = 2;

    /// <summary>Environment variable that, set to 1, adds the stack trace to every error.</summary>
    public const string DebugVariable = "SANREID_DEBUG";

    /// <summary>
    /// Runs <paramref name="action"/>. A <see cref="UsageException"/> prints "error: ..." and returns 2; expected input
    /// and I/O errors print "error: ..." and return 1; any other exception prints one line naming its type, with a
    /// hint to set SANREID_DEBUG=1 for the stack trace, and returns 1.
    /// </summary>
    /// <param name="action">The command body; returns the exit code.</param>
    /// <param name="command">Prefix of the message (e.g. "synth pit"), or null.</param>
    public static int Run(Func<int> action, string? command = null)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            return Report(e, command, Console.Error);
        }
    }

    /// <summary>Runs <paramref name="action"/> as <see cref="Run(Func{int}, string?)"/>; success is exit code 0.</summary>
    public static int Run(string command, Action action) => Run(() =>
    {
        action();
        return 0;
    }, command);

    /// <summary>Writes the one-line report of <paramref name="e"/> and returns its exit code.</summary>
    internal static int Report(Exception e, string? command, TextWriter error)
    {
        string prefix = command is null ? "error: " : $"error: {command}: ";
        bool debug = Environment.GetEnvironmentVariable(DebugVariable) == "1";
        int code;
        string message;
        if (e is UsageException)
        {
            code = UsageError;
            message = e.Message;
        }
        else if (IsExpected(e))
        {
            code = RuntimeError;
            message = e.Message;
        }
        else
        {
            code = RuntimeError;
            message = $"unexpected {e.GetType().Name}: {e.Message}" + (debug ? "" : $" (run with {DebugVariable}=1 for the stack trace)");
        }

        error.WriteLine(prefix + message.ReplaceLineEndings(" ").Trim());
        if (debug)
        {
            error.WriteLine(e.ToString());
        }

        return code;
    }

    // Errors of the input (files, names, weights, models) and of the file system: the message says what to fix.
    private static bool IsExpected(Exception e) =>
        e is WeightsFormatException or IOException or UnauthorizedAccessException or ReidDatasetException
            or ReidFileNameException or OnnxRuntimeException or ExportParityException or ArgumentException
            or InvalidDataException or NoTrueMatchException or Export.Quantization.QuantizationAgreementException;
}
