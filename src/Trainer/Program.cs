using System.CommandLine;

// sanreid-train: every Trainer command. Each command lives in its own file under Cli/ and exposes Create().
var root = new RootCommand("SanReid trainer: SAN (AAAI 2020) encoder training, evaluation and ONNX export.");
foreach (var command in SanReid.Trainer.Cli.Commands.All())
{
    root.Subcommands.Add(command);
}
return root.Parse(args).Invoke();
