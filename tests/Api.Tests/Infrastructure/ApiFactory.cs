using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    /// <summary>The API key every test client sends (X-Api-Key), configured as the server's only key.</summary>
    public const string ApiKey = "test-key-0123456789abcdef";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"sanreid-api-tests-{Guid.NewGuid():N}");

    private readonly IReadOnlyDictionary<string, string> _overrides;

    public ApiFactory() : this(new Dictionary<string, string>(), waitUntilReady: true, withApiKey: true, logs: null, services: null)
    {
    }

    /// <summary>A server with these configuration keys overriding the test defaults (e.g. a bad option).</summary>
    /// <param name="overrides">Configuration keys.</param>
    /// <param name="waitUntilReady">Return only once /health/ready says 200 (false: right after the host started).</param>
    /// <param name="withApiKey">Configure <see cref="ApiKey"/> as a server key (false: a server with no keys unless overrides add some).</param>
    /// <param name="logs">Where the server logs (default: a new <see cref="LogCapture"/>); lets a test read the log of a server whose start-up failed.</param>
    /// <param name="services">Replaces services after the Api's own registrations (e.g. a decoder seam that injects a server fault).</param>
    public static ApiFactory With(IReadOnlyDictionary<string, string> overrides, bool waitUntilReady = true, bool withApiKey = true,
        LogCapture? logs = null, Action<IServiceCollection>? services = null) =>
        new(overrides, waitUntilReady, withApiKey, logs, services);

    // Not public: xunit class fixtures may have a single public constructor.
    private readonly bool _withApiKey;

    private readonly Action<IServiceCollection>? _services;

    private ApiFactory(IReadOnlyDictionary<string, string> overrides, bool waitUntilReady, bool withApiKey, LogCapture? logs,
        Action<IServiceCollection>? services)
    {
        _services = services;
        Logs = logs ?? new LogCapture();
        _overrides = overrides;
        _withApiKey = withApiKey;
        if (!File.Exists(RepoPaths.DefaultModel))
        {
            throw new InvalidOperationException(
                $"Model {RepoPaths.DefaultModel} is missing: run scripts/ensure-model.sh (scripts/test.sh does) first.");
        }

        Directory.CreateDirectory(_dir);
        // Port 0 through the server URLs rather than UseKestrel(0): the factory's own port set-up races with a host that
        // starts quickly (start-up no longer waits for the model) and throws "Addresses cannot be modified".
        UseKestrel();
        StartServer();
        if (waitUntilReady)
            WaitUntilReady(TimeSpan.FromSeconds(120));
    }

    /// <summary>Polls /health/ready until 200 (the model and gallery load in the background after start-up).</summary>
    public void WaitUntilReady(TimeSpan timeout)
    {
        using var client = CreateClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var response = client.GetAsync("/health/ready").GetAwaiter().GetResult();
            if (response.IsSuccessStatusCode)
                return;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Server not ready after {timeout}: {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Every client of this factory sends <see cref="ApiKey"/>; remove the header to act anonymously.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public string DatabasePath => Path.Combine(_dir, "gallery.db");

    /// <summary>Every log line of this server (all levels of SanReid categories, Warning and up of the rest).</summary>
    public LogCapture Logs { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
        builder.UseSetting("SanReid:Model:Path", RepoPaths.DefaultModel);
        builder.UseSetting("SanReid:Model:ExecutionProvider", "auto");
        builder.UseSetting("SanReid:Gallery:DatabasePath", DatabasePath);
        builder.UseSetting("SanReid:Limits:MaxBodyBytes", MaxBodyBytes.ToString());
        builder.UseSetting("SanReid:Limits:MaxImagesPerRequest", MaxImagesPerRequest.ToString());
        builder.UseSetting("SanReid:Search:MaxK", MaxK.ToString());
        builder.UseSetting("SanReid:Search:DefaultK", "10");
        if (_withApiKey)
            builder.UseSetting("SanReid:Auth:ApiKeys:0", ApiKey);
        // WebApplicationFactory runs in Development, whose appsettings allow anonymous writes; the tests do not.
        builder.UseSetting("SanReid:Auth:AllowAnonymousWrites", "false");
        builder.UseSetting("SanReid:RateLimit:PermitsPerSecond", "100000");
        builder.UseSetting("SanReid:RateLimit:Burst", "100000");
        builder.UseSetting("SanReid:Startup:WarmUpRuns", "1");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:SanReid", "Information");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        foreach (var (key, value) in _overrides)
            builder.UseSetting(key, value);
        if (_services is not null)
            builder.ConfigureTestServices(_services);
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
