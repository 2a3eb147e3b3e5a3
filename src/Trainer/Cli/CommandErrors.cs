using Microsoft.ML.OnnxRuntime;
using SanReid.Trainer.Data;
using SanReid.Trainer.Export;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Cli;

/// <summary>Turns the typed errors of bad input (files, names, weights, models) into one stderr line and exit code 1.</summary>
internal static class CommandErrors
{
    /// <summary>Runs <paramref name="action"/>; expected input errors print "error: ..." and return 1, bugs still throw.</summary>
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is WeightsFormatException or FileNotFoundException or DirectoryNotFoundException
                                      or ReidDatasetException or ReidFileNameException or InvalidDataException
                                      or OnnxRuntimeException or ExportParityException or ArgumentException
                                      or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
