using SanReid.Synthesis;
using SanReid.Trainer.Data;
using SanReid.Trainer.Training;
using SanReid.Trainer.Weights;

namespace SanReid.Trainer.Tests.Training;

/// <summary>Repository files and a small synthetic re-ID set (8 train ids x 8 images, with true textures) for training tests.</summary>
internal static class TrainingTestData
{
    /// <summary>A file under the repository root (the folder holding SanReid.sln).</summary>
    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new DirectoryNotFoundException("SanReid.sln not found above the test assembly.");
    }

    /// <summary>CPU-sized recipe: resnet18 at 64x32, P4 x K4, no warm-up, no evaluation or previews unless asked.</summary>
    public static TrainingConfig Tiny(params string[] overrides) =>
        new TrainingConfig().With(["backbone=resnet18", "height=64", "width=32", "p=4", "k=4", "warmupEpochs=0", "lrMilestones=[]", "evalEvery=-1", "previewEvery=0", "seed=5", .. overrides]);
}

/// <summary>A synthetic Market-layout dataset written once per test class, deleted afterwards.</summary>
public sealed class SyntheticReidFixture : IDisposable
{
    public SyntheticReidFixture()
    {
        // libtorch's OpenMP threads spin; on a shared, oversubscribed 2-core machine one thread is ~10x faster than two.
        TorchSharp.torch.set_num_threads(1);
        Root = Path.Combine(Path.GetTempPath(), "sanreid-train-" + Guid.NewGuid().ToString("N"));
        ReidWriter.Write(Root, new ReidOptions(TrainIds: 8, TestIds: 4, Cameras: 3, Seed: 3));
        Dataset = MarketLayoutDataset.Load(Root);
        Textures = TextureLookup.ParallelFolder(Root, Path.Combine(Root, ReidWriter.TextureFolder));
    }

    /// <summary>Dataset root.</summary>
    public string Root { get; }

    /// <summary>The loaded dataset.</summary>
    public MarketLayoutDataset Dataset { get; }

    /// <summary>True textures of the images (synth reid writes them), standing in for SAN-PG's pseudo textures.</summary>
    public TextureLookup Textures { get; }

    /// <summary>The packaged ImageNet ResNet-18 as SA-Enc safetensors (what import-imagenet writes), created on first use.</summary>
    public string ImageNetWeights()
    {
        var path = Path.Combine(Root, "imagenet-r18.safetensors");
        if (!File.Exists(path))
        {
            using var encoder = ImageNetInitialisation.ResNet18FromPackage();
            ImageNetInitialisation.SaveSafetensors(encoder, path);
        }

        return path;
    }

    /// <summary>A fresh run folder path.</summary>
    public string NewRunFolder() => Path.Combine(Root, "runs", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
