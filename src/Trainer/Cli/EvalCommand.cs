using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Model;
using SanReid.Trainer.Training;
using TorchSharp;

namespace SanReid.Trainer.Cli;

/// <summary><c>eval</c>: CMC, mAP and mINP of an SA-Enc by the Market-1501 protocol (TorchSharp features).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var weights = new Option<FileInfo>("--weights") { Description = "SA-Enc state_dict (.safetensors/.pth): train's encoder.safetensors or import-imagenet's output.", Required = true };
        var backbone = new Option<string>("--backbone") { Description = "resnet18 or resnet50.", DefaultValueFactory = _ => "resnet18" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Dataset root holding query/ and bounding_box_test/." };
        var query = new Option<DirectoryInfo?>("--query") { Description = "Query folder (default <data>/query)." };
        var gallery = new Option<DirectoryInfo?>("--gallery") { Description = "Gallery folder (default <data>/bounding_box_test)." };
        var height = new Option<int>("--height") { Description = "Input height.", DefaultValueFactory = _ => 256 };
        var width = new Option<int>("--width") { Description = "Input width.", DefaultValueFactory = _ => 128 };
        var flip = new Option<bool>("--flip") { Description = "Flip test-time augmentation: average each crop's feature with its mirror's." };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results as JSON here." };
        var ranked = new Option<FileInfo?>("--ranked-list") { Description = "Write ranked-list PNGs (query + top-10, true matches green, false red): NAME.png, NAME-1.png, ..." };
        var rankedCount = new Option<int>("--ranked-count") { Description = "Queries drawn with --ranked-list.", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var rerank = new Option<bool>("--rerank") { Description = "k-reciprocal re-ranking (Zhong et al., CVPR 2017) of the cosine ranking before scoring; memory grows with Q + G, not (Q + G)^2." };
        var k1 = new Option<int>("--rerank-k1") { Description = "Re-ranking k1 (k-reciprocal neighbourhood).", DefaultValueFactory = _ => 20 };
        var k2 = new Option<int>("--rerank-k2") { Description = "Re-ranking k2 (local query expansion; 1 = none).", DefaultValueFactory = _ => 6 };
        var lambda = new Option<double>("--rerank-lambda") { Description = "Re-ranking lambda: weight of the original distance, in [0, 1].", DefaultValueFactory = _ => 0.3 };
        var command = new Command("eval", "Evaluate an SA-Enc on query/gallery by the Market-1501 protocol: CMC rank-1/5/10, mAP, mINP and the queries skipped for having no true match.");
        foreach (Option option in new Option[] { weights, backbone, data, query, gallery, height, width, flip, json, ranked, rankedCount, device, rerank, k1, k2, lambda })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CliErrors.Run("eval", () =>
        {
            var root = parse.GetValue(data)?.FullName;
            var queryDir = parse.GetValue(query)?.FullName ?? (root is null ? null : Path.Combine(root, "query"));
            var galleryDir = parse.GetValue(gallery)?.FullName ?? (root is null ? null : Path.Combine(root, "bounding_box_test"));
            if (queryDir is null || galleryDir is null)
            {
                throw new TrainingConfigException("Give --data, or both --query and --gallery.");
            }

            KReciprocalOptions? rerankOptions = null;
            if (parse.GetValue(rerank))
            {
                rerankOptions = new KReciprocalOptions { K1 = parse.GetValue(k1), K2 = parse.GetValue(k2), Lambda = parse.GetValue(lambda) };
                if (rerankOptions.K1 < 1 || rerankOptions.K2 < 1 || !(rerankOptions.Lambda is >= 0 and <= 1))
                {
                    throw new UsageException($"--rerank-k1 and --rerank-k2 must be >= 1 and --rerank-lambda in [0, 1]; got {rerankOptions.K1}, {rerankOptions.K2}, {rerankOptions.Lambda}.");
                }
            }

            var dev = DeviceOption.Parse(parse.GetValue(device)!);
            var weightsFile = parse.GetValue(weights)!.FullName;
            using var encoder = new SaEncoder(BackboneNames.Parse(parse.GetValue(backbone)!));
            RunFolder.LoadEncoder(encoder, weightsFile);
            encoder.to(dev);
            var queries = MarketLayoutDataset.ListFolder(queryDir);
            var galleryItems = MarketLayoutDataset.ListFolder(galleryDir);
            var reader = new CropReader(parse.GetValue(height), parse.GetValue(width));
            var clock = Stopwatch.StartNew();
            var useFlip = parse.GetValue(flip);
            var result = FeatureExtractor.Evaluate(encoder, queries, galleryItems, reader, useFlip, dev, options: new ReidEvaluationOptions { Rerank = rerankOptions });
            var seconds = clock.Elapsed.TotalSeconds;
            var rerankText = rerankOptions is null ? string.Empty : $", k-reciprocal re-ranking k1 {rerankOptions.K1} k2 {rerankOptions.K2} lambda {rerankOptions.Lambda} ({result.RerankNonZeros} non-zeros, {result.RerankNonZeros * 16 / 1e6:F1} MB)";
            Console.WriteLine($"{queries.Count} queries x {galleryItems.Count} gallery ({weightsFile}{(useFlip ? ", flip TTA" : string.Empty)}{rerankText}), {seconds:F1} s");
            Console.WriteLine($"rank-1 {result.Rank1:F4}  rank-5 {result.Rank5:F4}  rank-10 {result.Rank10:F4}  mAP {result.MeanAveragePrecision:F4}  mINP {result.MeanInverseNegativePenalty:F4}  evaluated {result.EvaluatedQueries}, skipped {result.SkippedQueries} (no true match)");
            if (parse.GetValue(json) is { } jsonFile)
            {
                var payload = new
                {
                    weights = weightsFile,
                    backbone = parse.GetValue(backbone),
                    query = queryDir,
                    gallery = galleryDir,
                    flip = useFlip,
                    rerank = rerankOptions is null ? null : new { k1 = rerankOptions.K1, k2 = rerankOptions.K2, lambda = rerankOptions.Lambda, nonZeros = result.RerankNonZeros },
                    numQueries = result.NumQueries,
                    numGallery = result.NumGallery,
                    evaluatedQueries = result.EvaluatedQueries,
                    skippedQueries = result.SkippedQueries,
                    rank1 = result.Rank1,
                    rank5 = result.Rank5,
                    rank10 = result.Rank10,
                    mAP = result.MeanAveragePrecision,
                    mINP = result.MeanInverseNegativePenalty,
                    cmc = result.Cmc,
                    seconds,
                };
                File.WriteAllText(jsonFile.FullName, JsonSerializer.Serialize(payload, new JsonSerializerOptions { WriteIndented = true }));
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
