using SanReid.Trainer.Data;
using SanReid.Trainer.Training;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Cli;

/// <summary>User errors (bad config, unreadable data or weights) end a command with one line and exit code 2.</summary>
internal static class CliErrors
{
    public static int Run(string name, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is TrainingConfigException or ReidDatasetException or ReidFileNameException or WeightsFormatException
                                      or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return 2;
        }
    }
}
