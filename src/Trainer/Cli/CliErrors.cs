using SanReid.Trainer.Training;

namespace SanReid.Trainer.Cli;

/// <summary>
/// The training commands' entry into <see cref="CommandErrors"/>: a bad config value is a usage error (exit 2); every
/// other failure follows the sanreid-train convention (one "error:" line, exit 1).
/// </summary>
internal static class CliErrors
{
    public static int Run(string name, Func<int> action) => CommandErrors.Run(() =>
    {
        try
        {
            return action();
        }
        catch (TrainingConfigException e)
        {
            throw new UsageException(e.Message);
        }
    }, name);
}
