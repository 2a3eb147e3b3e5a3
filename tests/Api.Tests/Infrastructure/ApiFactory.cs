using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace SanReid.Api.Tests.Infrastructure;

/// <summary>
/// The real Api on a real Kestrel (loopback, dynamic port) with the default model, the CPU-or-CUDA <c>auto</c>
/// provider and a fresh gallery database in a temp folder. One per test class (IClassFixture); deletes its folder.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    /// <summary>Small enough that a test can exceed it cheaply, large enough for 30 Market crops in one request.</summary>
    public const long MaxBodyBytes = 2 * 1024 * 1024;

    public const int MaxImagesPerRequest = 40;
    public const int MaxK = 50;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"sanreid-api-tests-{Guid.NewGuid():N}");

    private readonly IReadOnlyDictionary<string, string> _overrides;

    public ApiFactory() : this(new Dictionary<string, string>())
    {
    }

    /// <summary>A server with these configuration keys overriding the test defaults (e.g. a bad option).</summary>
    public ApiFactory(IReadOnlyDictionary<string, string> overrides)
    {
        _overrides = overrides;
        if (!File.Exists(RepoPaths.DefaultModel))
            throw new InvalidOperationException(
                $"Model {RepoPaths.DefaultModel} is missing: run scripts/ensure-model.sh (scripts/test.sh does) first.");
        Directory.CreateDirectory(_dir);
        UseKestrel(0);
        StartServer();
    }

    public string DatabasePath => Path.Combine(_dir, "gallery.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("SanReid:Model:Path", RepoPaths.DefaultModel);
        builder.UseSetting("SanReid:Model:ExecutionProvider", "auto");
        builder.UseSetting("SanReid:Gallery:DatabasePath", DatabasePath);
        builder.UseSetting("SanReid:Limits:MaxBodyBytes", MaxBodyBytes.ToString());
        builder.UseSetting("SanReid:Limits:MaxImagesPerRequest", MaxImagesPerRequest.ToString());
        builder.UseSetting("SanReid:Search:MaxK", MaxK.ToString());
        builder.UseSetting("SanReid:Search:DefaultK", "10");
        foreach (var (key, value) in _overrides)
            builder.UseSetting(key, value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }
}
