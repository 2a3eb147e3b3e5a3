namespace SanReid.Trainer.Cli;

/// <summary>
/// The command line itself is wrong (an option out of range, options that exclude each other): reported by
/// <see cref="CommandErrors"/> as one <c>error:</c> line with exit code 2.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
