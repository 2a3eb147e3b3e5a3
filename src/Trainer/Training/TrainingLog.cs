using System.Text.Json;

namespace SanReid.Trainer.Training;

/// <summary>
/// Per-epoch records of a run: appended to <c>metrics.jsonl</c> (one JSON object per line) and drawn as
/// <c>curves.png</c> (loss terms per epoch) and <c>metrics.png</c> (evaluation per epoch) with ScottPlot.
/// </summary>
public sealed class TrainingLog
{
    private static readonly System.Text.Json.JsonSerializerOptions CompactJson = new(TrainingConfig.JsonOptions) { WriteIndented = false };
    private readonly RunFolder folder;
    private readonly List<EpochRecord> records = [];

    /// <summary>Opens the log of <paramref name="folder"/>; on resume, records of epochs &lt;= <paramref name="keepEpochs"/> are kept and later ones dropped.</summary>
    public TrainingLog(RunFolder folder, int keepEpochs)
    {
        this.folder = folder;
        if (keepEpochs > 0 && File.Exists(folder.MetricsFile))
        {
            records.AddRange(File.ReadAllLines(folder.MetricsFile)
                .Where(l => l.Length > 0)
                .Select(l => JsonSerializer.Deserialize<EpochRecord>(l, CompactJson)!)
                .Where(r => r.Epoch <= keepEpochs));
        }

        File.WriteAllLines(folder.MetricsFile, records.Select(Serialise));
    }

    /// <summary>Records so far.</summary>
    public IReadOnlyList<EpochRecord> Records => records;

    /// <summary>Appends a record to metrics.jsonl and redraws curves.png.</summary>
    public void Add(EpochRecord record)
    {
        records.Add(record);
        File.AppendAllLines(folder.MetricsFile, [Serialise(record)]);
        DrawCurves();
    }

    /// <summary>Writes curves.png from the records.</summary>
    public void DrawCurves()
    {
        if (records.Count == 0)
        {
            return;
        }

        var losses = new ScottPlot.Plot();
        foreach (var key in records.SelectMany(r => r.Losses.Keys).Distinct())
        {
            var points = records.Where(r => r.Losses.ContainsKey(key)).ToArray();
            var line = losses.Add.Scatter(points.Select(r => (double)r.Epoch).ToArray(), points.Select(r => r.Losses[key]).ToArray());
            line.LegendText = key;
        }

        losses.Title("Training losses (mean per epoch)");
        losses.XLabel("epoch");
        losses.YLabel("loss");
        losses.ShowLegend();
        losses.SavePng(folder.CurvesFile, 900, 500);

        var evaluated = records.Where(r => r.Eval is not null).ToArray();
        if (evaluated.Length == 0)
        {
            return;
        }

        var metrics = new ScottPlot.Plot();
        foreach (var key in evaluated.SelectMany(r => r.Eval!.Keys).Distinct().Where(k => k != "skipped"))
        {
            var line = metrics.Add.Scatter(evaluated.Select(r => (double)r.Epoch).ToArray(), evaluated.Select(r => r.Eval!.GetValueOrDefault(key, double.NaN)).ToArray());
            line.LegendText = key;
        }

        metrics.Title("Evaluation");
        metrics.XLabel("epoch");
        metrics.ShowLegend();
        metrics.SavePng(folder.MetricsCurvesFile, 900, 500);
    }

    private static string Serialise(EpochRecord record) =>
        JsonSerializer.Serialize(record, CompactJson);
}
