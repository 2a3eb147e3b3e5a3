using SanReid.Inference;
using SanReid.Trainer.Cli;
using SanReid.Trainer.Inference;
using SanReid.Trainer.Tests.Data;
using SanReid.Trainer.Tests.Export;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Trainer.Tests.Cli;

public sealed class RankCommandTests(ExportedModelFixture model) : IClassFixture<ExportedModelFixture>, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-rank-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SharedDataFact("data/market-mini")]
    public void MarketMiniQueriesGetRankedGalleriesInDescendingScore()
    {
        var mini = SharedData.Require("data/market-mini");
        using var embedder = new OnnxEmbedder(model.OnnxPath);

        var result = FolderRanking.Rank(embedder, Path.Combine(mini, "query"), Path.Combine(mini, "bounding_box_test"), top: 10);
        var printed = new StringWriter();
        RankCommand.Print(result, model.OnnxPath, embedder.Metadata, printed);

        Assert.Equal(Directory.GetFiles(Path.Combine(mini, "query")).Length, result.Query.Count);
        Assert.Equal(result.Query.Count, result.Evaluation.EvaluatedQueries + result.Evaluation.SkippedQueries);
        foreach (var ranking in result.Evaluation.Queries)
        {
            var q = result.Query[ranking.QueryIndex];
            var scores = ranking.TopGalleryIndices.Select(g => result.Score(ranking.QueryIndex, g)).ToArray();
            Assert.Equal(scores.OrderByDescending(s => s), scores);
            for (int r = 0; r < ranking.TopGalleryIndices.Length; r++)
            {
                var g = result.Gallery[ranking.TopGalleryIndices[r]];
                Assert.False(g.Pid == -1 || (g.Pid == q.Pid && g.CamId == q.CamId), $"junk {g.Path} ranked for {q.Path}");
                Assert.Equal(g.Pid == q.Pid, ranking.TopIsMatch[r]);
            }

            Assert.Contains(Path.GetFileName(q.Path), printed.ToString());
        }

        Assert.InRange(result.Evaluation.MeanAveragePrecision, 0, 1);
        Assert.Contains("Rank-1", printed.ToString());
        Assert.Contains("mAP", printed.ToString());
    }

    [Fact]
    public void JunkIsRemovedDistractorsStayAndQueriesWithoutAMatchAreSkipped()
    {
        var query = Directory.CreateDirectory(Path.Combine(folder, "query")).FullName;
        var gallery = Directory.CreateDirectory(Path.Combine(folder, "gallery")).FullName;
        Crop(query, "0001_c1s1_000100_00.png", 200, 30, 30);
        Crop(query, "0002_c1s1_000100_00.png", 30, 200, 30);      // pid 2 only appears in its own camera: skipped
        Crop(gallery, "0001_c2s1_000200_00.png", 190, 40, 30);    // true match
        Crop(gallery, "0001_c1s1_000300_00.png", 200, 30, 30);    // same pid, same camera: junk
        Crop(gallery, "-1_c3s1_000400_00.png", 200, 30, 30);      // pid -1: junk
        Crop(gallery, "0000_c4s1_000500_00.png", 30, 30, 200);    // distractor: a negative
        Crop(gallery, "0002_c1s1_000600_00.png", 30, 200, 30);    // same pid and camera as query 2: junk
        using var embedder = new OnnxEmbedder(model.OnnxPath);

        var result = FolderRanking.Rank(embedder, query, gallery, top: 10);

        Assert.Equal(1, result.Evaluation.EvaluatedQueries);
        Assert.Equal(1, result.Evaluation.SkippedQueries);
        var first = result.Evaluation.Queries.Single(q => result.Query[q.QueryIndex].Pid == 1);
        var ranked = first.TopGalleryIndices.Select(g => Path.GetFileName(result.Gallery[g].Path)).ToHashSet();
        Assert.Equal(["0000_c4s1_000500_00.png", "0001_c2s1_000200_00.png", "0002_c1s1_000600_00.png"], ranked.Order());
        Assert.True(result.Evaluation.Queries.Single(q => result.Query[q.QueryIndex].Pid == 2).Skipped);
    }

    [Fact]
    public void RankWhereNoQueryHasATrueMatchPrintsTheRankingsThenOneErrorAndExitsOne()
    {
        var query = Directory.CreateDirectory(Path.Combine(folder, "query")).FullName;
        var gallery = Directory.CreateDirectory(Path.Combine(folder, "gallery")).FullName;
        Crop(query, "0002_c1s1_000100_00.png", 30, 200, 30);
        Crop(query, "0003_c2s1_000100_00.png", 30, 30, 200);
        Crop(gallery, "0001_c2s1_000200_00.png", 190, 40, 30);   // another identity
        Crop(gallery, "0002_c1s1_000600_00.png", 30, 200, 30);   // same pid and camera as query 2: junk

        var (code, stdout, stderr) = TrainerProcess.Run("rank", "--model", model.OnnxPath, "--query", query, "--gallery", gallery);

        Assert.Equal(1, code);
        Assert.Contains("query 0002_c1s1_000100_00.png", stdout);
        Assert.Contains("query 0003_c2s1_000100_00.png", stdout);
        Assert.Contains("0001_c2s1_000200_00.png", stdout);
        Assert.Contains("SKIPPED", stdout);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains("all 2 queries were skipped", line);
    }

    [Fact]
    public void RankWithImagesPointingAtAnExistingFileFailsBeforeRanking()
    {
        var query = Directory.CreateDirectory(Path.Combine(folder, "query")).FullName;
        Crop(query, "0001_c1s1_000100_00.png", 200, 30, 30);
        var file = Path.Combine(folder, "not-a-folder.txt");
        File.WriteAllText(file, "x");

        var (code, stdout, stderr) = TrainerProcess.Run("rank", "--model", model.OnnxPath, "--query", query, "--gallery", query, "--images", file);

        Assert.Equal(1, code);
        Assert.Contains(file, TrainerProcess.AssertOneErrorLine(stderr));
        Assert.DoesNotContain("query 0001", stdout);
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void RankWithAModelOfAnotherInputShapeNamesTheModelAndTheContract()
    {
        var query = Directory.CreateDirectory(Path.Combine(folder, "query")).FullName;
        Crop(query, "0001_c1s1_000100_00.png", 200, 30, 30);
        var wrong = Path.Combine(folder, "float-input.onnx");
        WriteIdentityModel(wrong);

        var (code, _, stderr) = TrainerProcess.Run("rank", "--model", wrong, "--query", query, "--gallery", query);

        Assert.Equal(1, code);
        var line = TrainerProcess.AssertOneErrorLine(stderr);
        Assert.Contains(wrong, line);
        Assert.Contains("input 'images' is float [N, 512]", line);
        Assert.Contains("uint8 [N, H, W, 3]", line);
        Assert.Throws<InvalidDataException>(() => new OnnxEmbedder(wrong));
    }

    [Fact]
    public void RankCropsAllVsAllWritesCountsMetricsAndThePerQueryTable()
    {
        var market = Path.Combine(folder, "market");
        var query = Directory.CreateDirectory(Path.Combine(market, "query")).FullName;
        var test = Directory.CreateDirectory(Path.Combine(market, "bounding_box_test")).FullName;
        var flat = Directory.CreateDirectory(Path.Combine(folder, "examples")).FullName;
        Crop(query, "0001_c1s1_000100_00.png", 200, 30, 30);
        Crop(test, "0001_c2s1_000200_00.png", 190, 40, 30);     // pid 1 in camera 2: pid 1's crops are queries
        Crop(test, "0000_c4s1_000500_00.png", 30, 30, 200);     // distractor: never a query
        Crop(test, "-1_c3s1_000400_00.png", 200, 30, 30);       // junk: never a query, never ranked
        Crop(flat, "0001_c1s1_000100_00.png", 200, 30, 30);     // the same file name again: dropped
        Crop(flat, "0002_c1s1_000600_00.png", 30, 200, 30);     // pid 2 in one camera only: skipped
        var json = Path.Combine(folder, "all.json");

        var (code, stdout, stderr) = TrainerProcess.Run("rank", "--model", model.OnnxPath, "--crops", market, "--crops", flat, "--json", json);

        Assert.True(code == 0, stderr);
        Assert.Contains("all-vs-all protocol: 2 queries evaluated, 1 skipped (no true match), 5 gallery crops", stdout);
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var r = report.RootElement;
        Assert.Equal((5, 1, 1, 1), (r.GetProperty("numCrops").GetInt32(), r.GetProperty("duplicatesDropped").GetInt32(),
            r.GetProperty("distractors").GetInt32(), r.GetProperty("junk").GetInt32()));
        Assert.Equal((3, 2, 1, 5), (r.GetProperty("numQueries").GetInt32(), r.GetProperty("evaluatedQueries").GetInt32(),
            r.GetProperty("skippedQueries").GetInt32(), r.GetProperty("numGallery").GetInt32()));
        var rows = r.GetProperty("perQuery").EnumerateArray().ToArray();
        Assert.Equal(["0001_c1s1_000100_00.png", "0001_c2s1_000200_00.png", "0002_c1s1_000600_00.png"], rows.Select(q => q.GetProperty("query").GetString()));
        // Each pid-1 crop ranks 3 others (itself and the junk crop removed; pid 2 and the distractor are negatives).
        Assert.All(rows.Take(2), q => Assert.Equal(3, q.GetProperty("numRanked").GetInt32()));
        Assert.All(rows.Take(2), q => Assert.InRange(q.GetProperty("firstMatchRank").GetInt32(), 1, 3));
        Assert.True(rows[2].GetProperty("skipped").GetBoolean());
        Assert.InRange(r.GetProperty("mAP").GetDouble(), 1.0 / 3, 1);
    }

    [Fact]
    public void RankWithCropsAndAQueryFolderIsAUsageError()
    {
        var (code, _, stderr) = TrainerProcess.Run("rank", "--model", model.OnnxPath, "--crops", folder, "--query", folder);

        Assert.Equal(2, code);
        Assert.Contains("--crops", TrainerProcess.AssertOneErrorLine(stderr));
    }

    [Fact]
    public void RankWithTopZeroIsAUsageErrorWithTheErrorPrefix()
    {
        var (code, _, stderr) = TrainerProcess.Run("rank", "--model", model.OnnxPath, "--query", folder, "--gallery", folder, "--top", "0");

        Assert.Equal(2, code);
        Assert.Contains("--top must be at least 1", TrainerProcess.AssertOneErrorLine(stderr));
    }

    // images float32 [N, 512] -> Identity -> embeddings: the right names, the wrong input contract.
    private static void WriteIdentityModel(string path)
    {
        var graph = new Onnx.GraphProto { Name = "wrong" };
        graph.Input.Add(Info("images", "N", 512));
        graph.Output.Add(Info("embeddings", "N", 512));
        graph.Node.Add(new Onnx.NodeProto { OpType = "Identity", Input = { "images" }, Output = { "embeddings" } });
        var modelProto = new Onnx.ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new Onnx.OperatorSetIdProto { Version = 17 } } };
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(modelProto));
    }

    private static Onnx.ValueInfoProto Info(string name, string batch, long width) => new()
    {
        Name = name,
        Type = new Onnx.TypeProto
        {
            TensorType = new Onnx.TypeProto.Types.Tensor
            {
                ElemType = (int)Onnx.TensorProto.Types.DataType.Float,
                Shape = new Onnx.TensorShapeProto
                {
                    Dim =
                    {
                        new Onnx.TensorShapeProto.Types.Dimension { DimParam = batch },
                        new Onnx.TensorShapeProto.Types.Dimension { DimValue = width },
                    },
                },
            },
        },
    };

    private static void Crop(string dir, string name, byte r, byte g, byte b)
    {
        using var image = new Image<Rgb24>(64, 128, new Rgb24(r, g, b));
        image.SaveAsPng(Path.Combine(dir, name));
    }
}
