using System.CommandLine;
using System.CommandLine.Invocation;

namespace SanReid.Trainer.Cli;

/// <summary>
/// The sanreid-train command line: every command of <see cref="Commands.All"/> under one root. Parse errors (an unknown
/// option, a value that does not parse, a missing required option) follow the exit-code convention of
/// <see cref="CommandErrors"/>: one <c>error:</c> line each, a pointer to <c>--help</c>, exit code 2.
/// </summary>
internal static class CommandLine
{
    /// <summary>Builds the root command.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("SanReid trainer: SAN (AAAI 2020) encoder training, evaluation and ONNX export. " +
                                   "Exit codes: 0 success, 1 runtime or input-file error, 2 usage error.");
        foreach (var command in Commands.All())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="output">Standard output (help text); null = the console.</param>
    /// <param name="error">Standard error; null = the console.</param>
    public static int Invoke(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var parse = Root().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            error ??= Console.Error;
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"error: {string.Join(' ', parseError.Message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))}");
            }

            var path = new List<string>();
            for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            {
                path.Insert(0, result.Command is RootCommand ? "sanreid-train" : result.Command.Name);
            }

            error.WriteLine($"Run '{string.Join(' ', path)} --help' for usage.");
            return CommandErrors.UsageError;
        }

        var configuration = new InvocationConfiguration();
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        return parse.Invoke(configuration);
    }
}
