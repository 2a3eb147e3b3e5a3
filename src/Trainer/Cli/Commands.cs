using System.CommandLine;

namespace SanReid.Trainer.Cli;

/// <summary>The list of sanreid-train commands; add one line per command.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All()
    {
        yield return ImportImageNetCommand.Create();
        yield return ExportCommand.Create();
        yield return DefaultModelCommand.Create();
        yield return CompactCommand.Create();
        yield return QuantizeCommand.Create();
        yield return RankCommand.Create();
        yield return SynthCommand.Create();
        yield return TrainPgCommand.Create();
        yield return TexturesCommand.Create();
        yield return TrainCommand.Create();
        yield return EvalCommand.Create();
    }
}
