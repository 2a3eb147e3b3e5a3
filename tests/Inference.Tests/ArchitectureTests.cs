using System.Xml.Linq;
using SanReid.Api.Tests.Infrastructure;

namespace SanReid.Inference.Tests;

/// <summary>
/// The arrows of docs/architecture.md, checked on the project files: a src project may reference only the projects its
/// row allows, the Api's whole reference closure holds no TorchSharp, and only the Api is an ASP.NET project.
/// </summary>
public sealed class ArchitectureTests
{
    // docs/architecture.md, "The arrows": project -> the projects it may reference.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Imaging"] = [],
        ["Synthesis"] = [],
        ["Index"] = [],
        ["Inference"] = ["Imaging"],
        ["Api"] = ["Imaging", "Inference", "Index"],
        ["Trainer"] = ["Imaging", "Inference", "Synthesis"],
    };

    [Fact]
    public void EverySourceProjectReferencesOnlyWhatItsArrowsAllow()
    {
        var projects = SourceProjects();

        Assert.Equal(Allowed.Keys.Order(), projects.Keys.Order());
        foreach (var (name, project) in projects)
        {
            var references = ProjectReferences(project);
            Assert.True(references.All(r => Allowed[name].Contains(r)),
                $"src/{name} references [{string.Join(", ", references)}]; docs/architecture.md allows [{string.Join(", ", Allowed[name])}].");
        }
    }

    [Fact]
    public void TheApiNeverReachesTheTrainerOrTorchSharp()
    {
        var projects = SourceProjects();
        var closure = new HashSet<string>();
        var pending = new Stack<string>(["Api"]);
        while (pending.TryPop(out var name))
        {
            if (closure.Add(name))
            {
                foreach (var r in ProjectReferences(projects[name]))
                    pending.Push(r);
            }
        }

        Assert.DoesNotContain("Trainer", closure);
        foreach (var name in closure)
        {
            var packages = projects[name].Descendants("PackageReference").Select(p => (string?)p.Attribute("Include") ?? "");
            Assert.DoesNotContain(packages, p => p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void OnlyTheApiIsAnAspNetProject()
    {
        foreach (var (name, project) in SourceProjects().Where(p => p.Key != "Api"))
        {
            Assert.NotEqual("Microsoft.NET.Sdk.Web", (string?)project.Root!.Attribute("Sdk"));
            Assert.DoesNotContain(project.Descendants("FrameworkReference"), f => ((string?)f.Attribute("Include"))?.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) == true);
        }
    }

    private static Dictionary<string, XDocument> SourceProjects() =>
        Directory.GetDirectories(Path.Combine(RepoPaths.Root, "src"))
            .Select(dir => Path.Combine(dir, Path.GetFileName(dir) + ".csproj"))
            .Where(File.Exists)
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), p => XDocument.Load(p));

    private static string[] ProjectReferences(XDocument project) =>
        project.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(((string?)r.Attribute("Include") ?? "").Replace('\\', '/')))
            .ToArray();
}
