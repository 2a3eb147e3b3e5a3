using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SanReid.Inference;
using SanReid.Inference.Ranking;
using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using SanReid.Trainer.Training;
using TorchSharp;

namespace SanReid.Trainer.Cli;

/// <summary>
/// <c>eval</c>: CMC, mAP and mINP of an SA-Enc (TorchSharp features) by the Market-1501 protocol: query/ against
/// bounding_box_test/, or with <c>--crops</c> the crops of several folders as one set, all against all
/// (<see cref="AllVsAllEvaluation"/>).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var weights = new Option<FileInfo>("--weights") { Description = "SA-Enc state_dict (.safetensors/.pth, float32 or float16): train's encoder.safetensors, compact's output or import-imagenet's output.", Required = true };
        var backbone = new Option<string?>("--backbone") { Description = "resnet18 or resnet50 (default: the run's config.json or card facts, else resnet18)." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Dataset root holding query/ and bounding_box_test/." };
        var query = new Option<DirectoryInfo?>("--query") { Description = "Query folder (default <data>/query)." };
        var gallery = new Option<DirectoryInfo?>("--gallery") { Description = "Gallery folder (default <data>/bounding_box_test)." };
        var crops = new Option<DirectoryInfo[]>("--crops")
        {
            Description = "Instead of --data/--query/--gallery: folders of crops evaluated as one set, all against all (repeatable; a folder with query/ and bounding_box_test/ gives both; crops deduplicated by file name).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var height = new Option<int?>("--height") { Description = "Input height (default: the training size from the run's config.json or card facts, else 256)." };
        var width = new Option<int?>("--width") { Description = "Input width (default: the training size, else 128)." };
        var flip = new Option<bool>("--flip") { Description = "Flip test-time augmentation: average each crop's feature with its mirror's." };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results as JSON here: counts, rank-1/5/10, mAP, mINP, CMC and the per-query table (first true match rank, AP)." };
        var ranked = new Option<FileInfo?>("--ranked-list") { Description = "Write ranked-list PNGs (query + top-10, true matches green, false red): NAME.png, NAME-1.png, ..." };
        var rankedCount = new Option<int>("--ranked-count") { Description = "Queries drawn with --ranked-list.", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var rerank = new Option<bool>("--rerank") { Description = "k-reciprocal re-ranking (Zhong et al., CVPR 2017) of the cosine ranking before scoring; memory grows with Q + G, not (Q + G)^2. Query/gallery evaluation only." };
        var k1 = new Option<int>("--rerank-k1") { Description = "Re-ranking k1 (k-reciprocal neighbourhood).", DefaultValueFactory = _ => 20 };
        var k2 = new Option<int>("--rerank-k2") { Description = "Re-ranking k2 (local query expansion; 1 = none).", DefaultValueFactory = _ => 6 };
        var lambda = new Option<double>("--rerank-lambda") { Description = "Re-ranking lambda: weight of the original distance, in [0, 1].", DefaultValueFactory = _ => 0.3 };
        var command = new Command("eval", "Evaluate an SA-Enc by the Market-1501 protocol (query/gallery, or --crops all against all): CMC rank-1/5/10, mAP, mINP and the queries skipped for having no true match.");
        foreach (Option option in new Option[] { weights, backbone, data, query, gallery, crops, height, width, flip, json, ranked, rankedCount, device, rerank, k1, k2, lambda })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CliErrors.Run("eval", () =>
        {
            var cropFolders = parse.GetValue(crops) ?? [];
            var root = parse.GetValue(data)?.FullName;
            var queryDir = parse.GetValue(query)?.FullName ?? (root is null ? null : Path.Combine(root, "query"));
            var galleryDir = parse.GetValue(gallery)?.FullName ?? (root is null ? null : Path.Combine(root, "bounding_box_test"));
            bool allVsAll = cropFolders.Length > 0;
            if (allVsAll ? root is not null || parse.GetValue(query) is not null || parse.GetValue(gallery) is not null : queryDir is null || galleryDir is null)
            {
                throw new TrainingConfigException("Give --data, or both --query and --gallery, or --crops (not together).");
            }

            var weightsFile = parse.GetValue(weights)!.FullName;
            var known = WeightsProvenance.Find(weightsFile);
            int? h = parse.GetValue(height), w = parse.GetValue(width);
            if ((h is null) != (w is null))
            {
                throw new TrainingConfigException("Give both --height and --width, or neither (then the training size is used).");
            }

            var (inputHeight, inputWidth) = h is { } hh && w is { } ww ? (hh, ww) : (known.Height ?? 256, known.Width ?? 128);
            if (EmbeddingContract.SizeProblem(inputHeight, inputWidth) is { } problem)
            {
                throw new TrainingConfigException(problem + ".");
            }

            KReciprocalOptions? rerankOptions = null;
            if (parse.GetValue(rerank))
            {
                rerankOptions = new KReciprocalOptions { K1 = parse.GetValue(k1), K2 = parse.GetValue(k2), Lambda = parse.GetValue(lambda) };
                if (allVsAll)
                {
                    throw new UsageException("--rerank works with --data or --query/--gallery, not with --crops.");
                }

                if (rerankOptions.K1 < 1 || rerankOptions.K2 < 1 || !(rerankOptions.Lambda is >= 0 and <= 1))
                {
                    throw new UsageException($"--rerank-k1 and --rerank-k2 must be >= 1 and --rerank-lambda in [0, 1]; got {rerankOptions.K1}, {rerankOptions.K2}, {rerankOptions.Lambda}.");
                }
            }

            var dev = DeviceOption.Parse(parse.GetValue(device)!);
            var backboneName = parse.GetValue(backbone) ?? known.Backbone ?? "resnet18";
            using var encoder = new SaEncoder(BackboneNames.Parse(backboneName));
            RunFolder.LoadEncoder(encoder, weightsFile);
            encoder.to(dev);
            var reader = new CropReader(inputHeight, inputWidth);
            var clock = Stopwatch.StartNew();
            var useFlip = parse.GetValue(flip);
            IReadOnlyList<ReidImage> queries;
            IReadOnlyList<ReidImage> galleryItems;
            ReidEvaluationResult result;
            var header = new List<KeyValuePair<string, JsonNode?>>
            {
                new("weights", weightsFile),
                new("backbone", backboneName),
                new("inputSize", $"{inputHeight}x{inputWidth}"),
                new("flip", useFlip),
            };
            if (allVsAll)
            {
                var set = CropPool.List(cropFolders.Select(f => f.FullName));
                var features = FeatureExtractor.Extract(encoder, set.Crops.Select(c => c.Path).ToArray(), reader, useFlip, dev);
                var all = AllVsAllEvaluation.Evaluate(set.Crops, features, SaEncoder.EmbeddingSize);
                queries = all.QueryRows.Select(r => set.Crops[r]).ToArray();
                galleryItems = set.Crops;
                result = all.Evaluation;
                header.Add(new("protocol", AllVsAllEvaluation.Protocol));
                header.Add(new("crops", new JsonArray(set.Folders.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray())));
                header.Add(new("numCrops", set.Crops.Count));
                header.Add(new("duplicatesDropped", set.DuplicatesDropped));
                header.Add(new("distractors", all.Distractors));
                header.Add(new("junk", all.Junk));
            }
            else
            {
                queries = MarketLayoutDataset.ListFolder(queryDir!);
                galleryItems = MarketLayoutDataset.ListFolder(galleryDir!);
                result = FeatureExtractor.Evaluate(encoder, queries, galleryItems, reader, useFlip, dev, options: new ReidEvaluationOptions { Rerank = rerankOptions });
                header.Add(new("protocol", "Market-1501 query/gallery"));
                header.Add(new("query", queryDir));
                header.Add(new("gallery", galleryDir));
            }

            var seconds = clock.Elapsed.TotalSeconds;
            header.Add(new("seconds", seconds));
            header.Add(new("rerank", rerankOptions is null ? null : new JsonObject { ["k1"] = rerankOptions.K1, ["k2"] = rerankOptions.K2, ["lambda"] = rerankOptions.Lambda, ["nonZeros"] = result.RerankNonZeros }));
            var rerankText = rerankOptions is null ? string.Empty : $", k-reciprocal re-ranking k1 {rerankOptions.K1} k2 {rerankOptions.K2} lambda {rerankOptions.Lambda} ({result.RerankNonZeros} non-zeros, {result.RerankNonZeros * 16 / 1e6:F1} MB)";
            Console.WriteLine($"{queries.Count} queries x {galleryItems.Count} gallery{(allVsAll ? " (all vs all)" : "")} ({weightsFile}, {inputHeight}x{inputWidth}{(useFlip ? ", flip TTA" : string.Empty)}{rerankText}), {seconds:F1} s");
            Console.WriteLine($"rank-1 {result.Rank1:F4}  rank-5 {result.Rank5:F4}  rank-10 {result.Rank10:F4}  mAP {result.MeanAveragePrecision:F4}  mINP {result.MeanInverseNegativePenalty:F4}  evaluated {result.EvaluatedQueries}, skipped {result.SkippedQueries} (no true match)");
            if (parse.GetValue(json) is { } jsonFile)
            {
                EvaluationReport.Write(jsonFile.FullName, EvaluationReport.Build(header, result, queries, galleryItems));
                Console.WriteLine($"results: {jsonFile.FullName}");
            }

            if (parse.GetValue(ranked) is { } png)
            {
                var drawn = result.Queries.Where(q => !q.Skipped).Take(Math.Max(1, parse.GetValue(rankedCount))).ToArray();
                for (var i = 0; i < drawn.Length; i++)
                {
                    var path = i == 0 ? png.FullName : Path.ChangeExtension(png.FullName, null) + $"-{i}.png";
                    RankedListImage.Write(path, drawn[i], queries.Select(q => q.Path).ToArray(), galleryItems.Select(g => g.Path).ToArray(), reader);
                    Console.WriteLine($"ranked list: {path}");
                }
            }

            return 0;
        }));
        return command;
    }
}
