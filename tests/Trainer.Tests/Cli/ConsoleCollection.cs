namespace SanReid.Trainer.Tests.Cli;

/// <summary>Tests that redirect Console.Out run alone, so no other test's output lands in their capture.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}
