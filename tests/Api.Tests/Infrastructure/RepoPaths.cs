namespace SanReid.Api.Tests.Infrastructure;

/// <summary>Paths the tests need: the repository root (walk up to SanReid.sln), the default model, ../shared data.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The ImageNet model (256x128) that scripts/ensure-model.sh (Trainer <c>default-model</c>) creates; the tests serve
    /// it unless they say otherwise (its behaviour does not change when a newly trained default is shipped).
    /// </summary>
    public static string DefaultModel => Path.Combine(Root, "models", "sanreid-resnet18-imagenet.onnx");

    /// <summary>The served default (appsettings.json): the synthetic-only model ensure-model.sh exports from committed weights.</summary>
    public static string ShippedModel => Path.Combine(Root, "models", "sanreid-resnet18-synth.onnx");

    /// <summary>The shipped model's int8 twin that scripts/ensure-model.sh (Trainer <c>quantize</c>) creates.</summary>
    public static string ShippedInt8Model => Path.Combine(Root, "models", "sanreid-resnet18-synth-int8.onnx");

    /// <summary>Real Market-1501 crops: ../shared/data/market-mini (absent on some machines).</summary>
    public static string MarketMini => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "market-mini"));

    public static bool HasMarketMini => Directory.Exists(Path.Combine(MarketMini, "query")) && Directory.Exists(Path.Combine(MarketMini, "bounding_box_test"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SanReid.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"SanReid.sln not found above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A fact that is skipped (not passed) when ../shared/data/market-mini is absent.</summary>
public sealed class MarketMiniFactAttribute : FactAttribute
{
    public MarketMiniFactAttribute()
    {
        if (!RepoPaths.HasMarketMini)
            Skip = $"Market-1501 sample not found at {RepoPaths.MarketMini}";
    }
}
