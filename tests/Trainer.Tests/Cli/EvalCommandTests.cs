using System.Text.Json;
using SanReid.Synthesis;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Tests.Cli;

public sealed class EvalCommandTests
{
    [Fact]
    public void EvalWithRerankReportsTheSettingsAndTheEncodingSizeNextToTheMetrics()
    {
        var root = Directory.CreateTempSubdirectory("sanreid-eval-").FullName;
        try
        {
            ReidWriter.Write(root, new ReidOptions(TrainIds: 2, TestIds: 4, Cameras: 2, Seed: 4));
            var weights = Path.Combine(root, "imagenet-r18.safetensors");
            using (var encoder = ImageNetInitialisation.ResNet18FromPackage())
            {
                ImageNetInitialisation.SaveSafetensors(encoder, weights);
            }

            var json = Path.Combine(root, "rerank.json");
            var (code, stdout, stderr) = TrainerProcess.Run("eval", "--weights", weights, "--data", root, "--height", "64", "--width", "32", "--rerank", "--rerank-k1", "8", "--json", json);

            Assert.True(code == 0, stderr);
            Assert.Contains("k-reciprocal re-ranking k1 8 k2 6 lambda 0.3", stdout, StringComparison.Ordinal);
            using var result = JsonDocument.Parse(File.ReadAllText(json));
            var rerank = result.RootElement.GetProperty("rerank");
            Assert.Equal((8, 6, 0.3), (rerank.GetProperty("k1").GetInt32(), rerank.GetProperty("k2").GetInt32(), rerank.GetProperty("lambda").GetDouble()));
            // Every item's encoding holds at least itself: non-zeros >= queries + gallery.
            var items = result.RootElement.GetProperty("numQueries").GetInt32() + result.RootElement.GetProperty("numGallery").GetInt32();
            Assert.InRange(rerank.GetProperty("nonZeros").GetInt64(), items, (long)items * items);
            Assert.InRange(result.RootElement.GetProperty("mAP").GetDouble(), 0.0, 1.0);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
