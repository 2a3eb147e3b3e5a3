using Microsoft.Extensions.Options;

namespace SanReid.Api.Options;

/// <summary>
/// Runs the start-up validation of every options class (<see cref="IStartupValidator"/>, what <c>ValidateOnStart</c>
/// registers) before the host starts, so that bad settings end the process with one line per setting on stderr and
/// exit code <see cref="ExitCode"/>, instead of an unhandled <see cref="OptionsValidationException"/> (SIGABRT, exit
/// 134, a stack trace). Hosts started by tests (<see cref="IsOwnProcess"/> false) skip this and see the exception.
/// </summary>
public static class StartupOptionsCheck
{
    /// <summary>Exit code of a process stopped by bad settings (2, as for a command-line usage error).</summary>
    public const int ExitCode = 2;

    /// <summary>
    /// Whether the Api is the process's entry assembly (<c>dotnet SanReid.Api.dll</c>), not a host inside another
    /// process (WebApplicationFactory runs Program.Main in the test host and expects start-up failures as exceptions).
    /// </summary>
    public static bool IsOwnProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(StartupOptionsCheck).Assembly;

    /// <summary>True when every options class is valid; else writes each failure as one line to <paramref name="error"/>.</summary>
    public static bool Passes(IServiceProvider services, TextWriter error)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return true;
        }
        catch (Exception e) when (Failures(e) is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
                error.WriteLine($"SanReid.Api: invalid setting: {failure}");
            return false;
        }
    }

    /// <summary>The messages of an <see cref="OptionsValidationException"/> (or several, aggregated); empty for anything else.</summary>
    public static IReadOnlyList<string> Failures(Exception exception) => exception switch
    {
        OptionsValidationException e => [.. e.Failures.Select(OneLine)],
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            [.. a.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures).Select(OneLine)],
        _ => [],
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
