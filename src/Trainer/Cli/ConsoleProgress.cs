using System.Globalization;
using SanReid.Trainer.Training;
using Spectre.Console;

namespace SanReid.Trainer.Cli;

/// <summary>
/// Training progress on the console: a Spectre.Console progress bar per epoch (loss terms, lr, images/s) on a terminal;
/// plain lines (about ten per epoch plus an epoch summary) when output is redirected to a log.
/// </summary>
internal static class ConsoleProgress
{
    public static T Run<T>(Func<Action<StepReport>, Action<EpochRecord>, T> train)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return train(PlainStep, PrintEpoch);
        }

        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                var epoch = -1;
                result = train(
                    report =>
                    {
                        if (report.Epoch != epoch)
                        {
                            task?.StopTask();
                            task = ctx.AddTask($"epoch {report.Epoch}/{report.Epochs}", maxValue: report.Steps);
                            epoch = report.Epoch;
                        }

                        task!.Value = report.Step;
                        task.Description = Markup.Escape($"epoch {report.Epoch}/{report.Epochs} {Describe(report)}");
                    },
                    record => AnsiConsole.MarkupLine(Markup.Escape(Summary(record))));
                task?.StopTask();
            });
        return result;
    }

    private static void PlainStep(StepReport report)
    {
        var every = Math.Max(1, report.Steps / 10);
        if (report.Step % every == 0 || report.Step == report.Steps)
        {
            Console.WriteLine($"epoch {report.Epoch}/{report.Epochs} step {report.Step}/{report.Steps} {Describe(report)}");
        }
    }

    private static void PrintEpoch(EpochRecord record) => Console.WriteLine(Summary(record));

    private static string Describe(StepReport r) =>
        string.Join(" ", r.Losses.Select(p => $"{p.Key} {p.Value.ToString("F4", CultureInfo.InvariantCulture)}")) +
        $" lr {r.Lr.ToString("G3", CultureInfo.InvariantCulture)} {r.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture)} img/s";

    private static string Summary(EpochRecord r)
    {
        var losses = string.Join(" ", r.Losses.Select(p => $"{p.Key} {p.Value.ToString("F4", CultureInfo.InvariantCulture)}"));
        var eval = r.Eval is null ? string.Empty : " | " + string.Join(" ", r.Eval.Select(p => $"{p.Key} {p.Value.ToString("F4", CultureInfo.InvariantCulture)}"));
        return $"epoch {r.Epoch} done: {losses} lr {r.Lr.ToString("G3", CultureInfo.InvariantCulture)} {r.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture)} img/s {r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s{eval}";
    }
}
