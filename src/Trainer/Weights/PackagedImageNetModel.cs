using System.Reflection;

namespace SanReid.Trainer.Weights;

/// <summary>
/// Finds the ImageNet ResNet-18 ONNX files of NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1
/// (<c>tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx</c> and <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>).
/// </summary>
public static class PackagedImageNetModel
{
    /// <summary>Environment variable that overrides the location of ResNet18.onnx.</summary>
    public const string EnvironmentVariable = "SANREID_RESNET18_ONNX";

    private const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";
    private const string PackageVersion = "0.23.1";
    private const string RelativeModel = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>
    /// Resolves ResNet18.onnx: <paramref name="explicitPath"/> if given, else $SANREID_RESNET18_ONNX, else the package
    /// path recorded at build time (assembly metadata <c>ResNet18OnnxPath</c>), else the NuGet cache
    /// ($NUGET_PACKAGES or ~/.nuget/packages).
    /// </summary>
    /// <exception cref="FileNotFoundException">No candidate exists; the message lists every path tried.</exception>
    public static string ResolveResNet18(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath)
                ? Path.GetFullPath(explicitPath)
                : throw new FileNotFoundException($"ResNet18.onnx not found at '{explicitPath}'.", explicitPath);
        }

        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            tried.Add(candidate);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new FileNotFoundException(
            "ResNet18.onnx of NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 not found; restore the Trainer " +
            $"project or pass --onnx / set {EnvironmentVariable}. Tried: {string.Join(", ", tried)}");
    }

    /// <summary>The package's preprocessing graph (ResNetPreprocess.onnx), next to ResNet18.onnx's folder.</summary>
    /// <exception cref="FileNotFoundException">It is not there.</exception>
    public static string ResolvePreprocess(string resnet18Path)
    {
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(resnet18Path)))!;
        var path = Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"ResNetPreprocess.onnx (the model's BGR/mean preprocessing) not found at '{path}'.", path);
    }

    private static IEnumerable<string> Candidates()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            yield return fromEnvironment;
        }

        var recorded = typeof(PackagedImageNetModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ResNet18OnnxPath")?.Value;
        if (!string.IsNullOrEmpty(recorded))
        {
            yield return recorded;
        }

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        yield return Path.Combine(packages, PackageId, PackageVersion, RelativeModel);
    }
}
