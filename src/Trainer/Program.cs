// sanreid-train: every Trainer command. Each command lives in its own file under Cli/ and exposes Create();
// Cli/CommandLine.cs builds the root and applies the exit-code convention (0 ok, 1 runtime error, 2 usage error).
return SanReid.Trainer.Cli.CommandLine.Invoke(args);
