using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SanReid.Inference;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Inference;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>rank</c>: for each query crop, the ranked gallery (file, cosine score, same identity or not) and Rank-1 / mAP /
/// mINP by the Market-1501 protocol (same pid and camera = junk, pid -1 junk, 0000 distractors kept as negatives,
/// queries without a true match skipped and counted): query/ against gallery/, or with <c>--crops</c> the crops of
/// several folders as one set, all against all (<see cref="AllVsAllEvaluation"/>).
/// </summary>
internal static class RankCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "Exported ONNX model (images -> embeddings).", Required = true };
        var gallery = new Option<DirectoryInfo?>("--gallery") { Description = "Folder of gallery crops, Market-1501 names (PPPP_cCsS_FFFFFF_NN.jpg)." };
        var query = new Option<DirectoryInfo?>("--query") { Description = "Folder of query crops, Market-1501 names." };
        var crops = new Option<DirectoryInfo[]>("--crops")
        {
            Description = "Instead of --query/--gallery: folders of crops evaluated as one set, all against all (repeatable; a folder with query/ and bounding_box_test/ gives both; crops deduplicated by file name).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var json = new Option<FileInfo?>("--json") { Description = "Write counts, rank-1/5/10, mAP, mINP and the per-query table (first true match rank, AP) as JSON here." };
        var top = new Option<int>("--top") { Description = "Ranked gallery entries printed per query.", DefaultValueFactory = _ => 10 };
        var images = new Option<DirectoryInfo?>("--images") { Description = "Optional folder for one ranked-list PNG per query (query blue, true matches green, others red)." };

        var command = new Command("rank",
            "Embed a query and a gallery folder (or, with --crops, several folders as one all-vs-all set) with an ONNX model, print each query's ranked gallery and Rank-1/5/10, mAP, mINP by the Market-1501 protocol.");
        command.Options.Add(model);
        command.Options.Add(gallery);
        command.Options.Add(query);
        command.Options.Add(crops);
        command.Options.Add(json);
        command.Options.Add(top);
        command.Options.Add(images);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            int k = parseResult.GetValue(top);
            if (k < 1)
            {
                throw new UsageException($"--top must be at least 1 (got {k}).");
            }

            var imagesFolder = parseResult.GetValue(images)?.FullName;
            if (imagesFolder is not null && File.Exists(imagesFolder))
            {
                throw new IOException($"--images '{imagesFolder}' is a file; give a folder for the ranked-list PNGs.");
            }

            var cropFolders = parseResult.GetValue(crops) ?? [];
            var queryFolder = parseResult.GetValue(query)?.FullName;
            var galleryFolder = parseResult.GetValue(gallery)?.FullName;
            bool allVsAll = cropFolders.Length > 0;
            if (allVsAll ? queryFolder is not null || galleryFolder is not null : queryFolder is null || galleryFolder is null)
            {
                throw new UsageException("give --query and --gallery, or --crops (one or more folders ranked all against all), not both.");
            }

            var jsonPath = parseResult.GetValue(json)?.FullName;
            if (jsonPath is not null)
            {
                OutputPaths.RequireFile(jsonPath, "--json");
            }

            var modelPath = parseResult.GetValue(model)!.FullName;
            using var embedder = new OnnxEmbedder(modelPath);
            FolderRankingResult result;
            var header = new List<KeyValuePair<string, JsonNode?>> { new("model", Path.GetFileName(modelPath)) };
            string protocol;
            if (allVsAll)
            {
                (result, var set) = FolderRanking.RankAllVsAll(embedder, cropFolders.Select(f => f.FullName), k);
                protocol = AllVsAllEvaluation.Protocol;
                header.Add(new("protocol", protocol));
                header.Add(new("crops", new JsonArray(set.Folders.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray())));
                header.Add(new("numCrops", set.Crops.Count));
                header.Add(new("duplicatesDropped", set.DuplicatesDropped));
                header.Add(new("distractors", set.Crops.Count(c => c.Pid == 0)));
                header.Add(new("junk", set.Crops.Count(c => c.Pid == -1)));
            }
            else
            {
                result = FolderRanking.Rank(embedder, queryFolder!, galleryFolder!, k);
                protocol = "Market-1501 query/gallery";
                header.Add(new("protocol", protocol));
                header.Add(new("query", queryFolder));
                header.Add(new("gallery", galleryFolder));
            }

            header.Add(new("inputSize", $"{embedder.Height}x{embedder.Width}"));
            Print(result, modelPath, embedder.Metadata, Console.Out, allVsAll ? "all-vs-all" : "Market-1501");
            if (jsonPath is not null)
            {
                EvaluationReport.Write(jsonPath, EvaluationReport.Build(header, result.Evaluation, result.Query, result.Gallery));
                Console.WriteLine($"results: {jsonPath}");
            }

            if (imagesFolder is not null)
            {
                var queryPaths = result.Query.Select(i => i.Path).ToList();
                var galleryPaths = result.Gallery.Select(i => i.Path).ToList();
                foreach (var ranking in result.Evaluation.Queries)
                {
                    var png = Path.Combine(imagesFolder, Path.GetFileNameWithoutExtension(queryPaths[ranking.QueryIndex]) + ".png");
                    RankedListImage.Write(png, ranking, queryPaths, galleryPaths);
                }

                Console.WriteLine($"ranked-list images: {imagesFolder}");
            }

            if (result.Evaluation.EvaluatedQueries == 0)
            {
                Console.Error.WriteLine(
                    $"error: all {result.Query.Count} queries were skipped: none has a true match (same pid, another camera) in the " +
                    $"{result.Gallery.Count} gallery crops, so Rank-1, mAP and mINP are undefined.");
                return CommandErrors.RuntimeError;
            }

            return 0;
        }));
        return command;
    }

    internal static void Print(FolderRankingResult result, string modelPath, IReadOnlyDictionary<string, string> metadata, TextWriter output, string protocol = "Market-1501")
    {
        var inv = CultureInfo.InvariantCulture;
        metadata.TryGetValue("trained_for_reid", out var trained);
        output.WriteLine($"model {Path.GetFileName(modelPath)} (trained_for_reid: {trained ?? "unknown"}), {result.Query.Count} queries, {result.Gallery.Count} gallery crops");
        foreach (var ranking in result.Evaluation.Queries)
        {
            var q = result.Query[ranking.QueryIndex];
            output.WriteLine();
            string outcome = ranking.Skipped
                ? " -- SKIPPED, no true match"
                : string.Create(inv, $", first at rank {ranking.FirstMatchRank}, AP {ranking.AveragePrecision:F4}");
            output.WriteLine(string.Create(inv, $"query {Path.GetFileName(q.Path)} (pid {q.Pid}, camera {q.CamId}): {ranking.NumMatches} true match(es) in {ranking.NumValidGallery} ranked gallery crops{outcome}"));
            for (int r = 0; r < ranking.TopGalleryIndices.Length; r++)
            {
                int gi = ranking.TopGalleryIndices[r];
                var g = result.Gallery[gi];
                string label = ranking.TopIsMatch[r] ? "same identity" : g.Pid == 0 ? "different (distractor)" : "different";
                output.WriteLine(string.Create(inv, $"  {r + 1,3}. {Path.GetFileName(g.Path),-28} {result.Score(ranking.QueryIndex, gi):F4}  {label}"));
            }
        }

        var e = result.Evaluation;
        output.WriteLine();
        output.WriteLine(string.Create(inv, $"{protocol} protocol: {e.EvaluatedQueries} queries evaluated, {e.SkippedQueries} skipped (no true match), {e.NumGallery} gallery crops"));
        if (e.EvaluatedQueries == 0)
        {
            output.WriteLine("Rank-1, mAP and mINP undefined (no query evaluated)");
            return;
        }

        output.WriteLine(string.Create(inv, $"Rank-1 {e.Rank1:P1}  Rank-5 {e.Rank5:P1}  Rank-10 {e.Rank10:P1}  mAP {e.MeanAveragePrecision:P1}  mINP {e.MeanInverseNegativePenalty:P1}"));
    }
}
