using System.CommandLine;
using System.Globalization;
using SanReid.Trainer.Training;

namespace SanReid.Trainer.Cli;

/// <summary>Options shared by train, train-pg and textures: the config file, overrides and the device.</summary>
internal sealed class TrainingOptions
{
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "JSON recipe (default: the SAN recipe, as configs/san-market.json)." };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override a config key, key=value (JSON value; repeatable), e.g. --set lr=3.5e-4 --set lrMilestones=[10,20].",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Shortcut for --set epochs=N (train) or pgEpochs=N (train-pg)." };

    public Option<string?> Backbone { get; } = new("--backbone") { Description = "Shortcut for --set backbone=resnet18|resnet50." };

    public Option<int?> Seed { get; } = new("--seed") { Description = "Shortcut for --set seed=N." };

    public Option<string> Device { get; } = new("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Config, Set, Epochs, Backbone, Seed, Device })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The config: file (or SAN defaults), then explicit shortcut options, then --set pairs in order.</summary>
    public TrainingConfig Resolve(ParseResult parse, string epochsKey, TrainingConfig? baseConfig = null)
    {
        var file = parse.GetValue(Config);
        var config = baseConfig ?? (file is null ? new TrainingConfig() : TrainingConfig.Load(file.FullName));
        var overrides = new List<string>();
        if (parse.GetValue(Epochs) is { } epochs)
        {
            overrides.Add($"{epochsKey}={epochs.ToString(CultureInfo.InvariantCulture)}");
        }

        if (parse.GetValue(Backbone) is { } backbone)
        {
            overrides.Add($"backbone={backbone}");
        }

        if (parse.GetValue(Seed) is { } seed)
        {
            overrides.Add($"seed={seed.ToString(CultureInfo.InvariantCulture)}");
        }

        overrides.AddRange(parse.GetValue(Set) ?? []);
        return config.With(overrides);
    }
}
