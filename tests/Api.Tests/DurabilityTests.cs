using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// A 201 means the item survives a crash: the Api runs as a child process (<c>dotnet SanReid.Api.dll</c> on
/// 127.0.0.1 with a temp gallery), receives a stream of adds, is killed with SIGKILL in the middle and restarted.
/// </summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sanreid-durability-").FullName;

    [Fact]
    public async Task EveryAcknowledgedAddSurvivesKillNineAndNothingHalfWrittenIsVisible()
    {
        const int writers = 4;
        var acknowledged = new ConcurrentDictionary<string, long>(); // external_id -> id, for each 201
        var attempted = new ConcurrentDictionary<string, int>();     // external_id -> image seed
        int port = FreePort();

        using (var server = ChildServer.Start(port, _dir))
        {
            using var client = await server.ReadyClient();
            int next = 0;
            using var stop = new CancellationTokenSource();
            var streams = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    int n = Interlocked.Increment(ref next);
                    string ext = $"det-{n}";
                    attempted[ext] = 1000 + n;
                    try
                    {
                        using var response = await client.PostAsync("/api/v1/gallery", Form(new Upload("images", $"{ext}.jpg", GeneratedJpeg(1000 + n, 32, 64)),
                            ("external_id", ext), ("camera_id", (n % 6 + 1).ToString()), ("label", "durability")));
                        if (response.StatusCode == HttpStatusCode.Created)
                            acknowledged[ext] = (await ReadJson(response)).GetProperty("items")[0].GetProperty("id").GetInt64();
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();

            // Kill in the middle of the stream, with adds in flight.
            var clock = Stopwatch.StartNew();
            while (acknowledged.Count < 40 && clock.Elapsed < TimeSpan.FromSeconds(90))
                await Task.Delay(20);
            server.KillHard();
            await Task.WhenAll(streams);
            stop.Cancel();
        }
        Assert.True(acknowledged.Count >= 40, $"only {acknowledged.Count} adds acknowledged before the kill");

        using var restarted = ChildServer.Start(port, _dir);
        using var after = await restarted.ReadyClient();
        var listed = new List<System.Text.Json.JsonElement>();
        long? afterId = 0;
        while (afterId is not null)
        {
            var page = await ReadJson(await after.GetAsync($"/api/v1/gallery?limit=500&after_id={afterId}"));
            listed.AddRange(page.GetProperty("items").EnumerateArray());
            var nextId = page.GetProperty("next_after_id");
            afterId = nextId.ValueKind == System.Text.Json.JsonValueKind.Null ? null : nextId.GetInt64();
        }

        // Every 201 is there under its id; every visible item is one that was sent, with all its metadata.
        var byExternal = listed.ToDictionary(i => i.GetProperty("external_id").GetString()!, i => i);
        foreach (var (ext, id) in acknowledged)
            Assert.True(byExternal.TryGetValue(ext, out var item) && item.GetProperty("id").GetInt64() == id, $"{ext} (id {id}) got 201 but is missing");
        foreach (var item in listed)
        {
            string ext = item.GetProperty("external_id").GetString()!;
            Assert.True(attempted.ContainsKey(ext), $"unexpected item {ext}");
            int n = int.Parse(ext["det-".Length..]);
            Assert.Equal(n % 6 + 1, item.GetProperty("camera_id").GetInt32());
            Assert.Equal("durability", item.GetProperty("label").GetString());
            Assert.Equal($"{ext}.jpg", item.GetProperty("file_name").GetString());
        }

        // The store keeps no FAISS index file (it is rebuilt from SQLite at every open): only the SQLite files and the
        // store's ownership lock file exist.
        Assert.All(Directory.GetFiles(_dir).Select(Path.GetFileName),
            f => Assert.Contains(f, new[] { "gallery.db", "gallery.db-wal", "gallery.db-shm", "gallery.db.lock" }));

        // Every visible item is searchable: its own image finds it first (FAISS rebuilt from SQLite holds them all).
        foreach (var item in listed)
        {
            string ext = item.GetProperty("external_id").GetString()!;
            var result = await ReadJson(await after.PostAsync("/api/v1/search",
                Form(new Upload("image", "q.jpg", GeneratedJpeg(attempted[ext], 32, 64)), ("k", "1"))));
            Assert.Equal(listed.Count, result.GetProperty("gallery_size").GetInt64());
            var top = result.GetProperty("matches")[0];
            Assert.Equal(item.GetProperty("id").GetInt64(), top.GetProperty("id").GetInt64());
            Assert.True(top.GetProperty("score").GetSingle() > 0.999f);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The built SanReid.Api.dll (same configuration as these tests) as a child process.</summary>
    private sealed class ChildServer : IDisposable
    {
        private readonly Process _process;
        private readonly int _port;

        private ChildServer(Process process, int port)
        {
            _process = process;
            _port = port;
        }

        public static ChildServer Start(int port, string dir)
        {
            // tests/Api.Tests/bin/<Configuration>/<tfm>/ -> src/Api/bin/<Configuration>/<tfm>/SanReid.Api.dll
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string dll = Path.Combine(RepoPaths.Root, "src", "Api", "bin", baseDir.Parent!.Name, baseDir.Name, "SanReid.Api.dll");
            if (!File.Exists(dll))
                throw new FileNotFoundException($"Built Api not found: {dll}", dll);
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(dll)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                dll, $"--urls=http://127.0.0.1:{port}",
                $"--SanReid:Model:Path={RepoPaths.DefaultModel}",
                "--SanReid:Model:ExecutionProvider=cpu",
                $"--SanReid:Gallery:DatabasePath={Path.Combine(dir, "gallery.db")}",
                $"--SanReid:Auth:ApiKeys:0={ApiFactory.ApiKey}",
                "--SanReid:RateLimit:Enabled=false",
                "--Logging:LogLevel:Default=Warning",
            })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ChildServer(process, port);
        }

        public async Task<HttpClient> ReadyClient()
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiFactory.ApiKey);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                Assert.False(_process.HasExited, $"the Api exited with {(_process.HasExited ? _process.ExitCode : 0)} during start-up");
                try
                {
                    using var response = await client.GetAsync("/health/ready");
                    if (response.IsSuccessStatusCode)
                        return client;
                }
                catch (HttpRequestException)
                {
                }
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the Api did not become ready in 120 s");
                await Task.Delay(100);
            }
        }

        /// <summary>SIGKILL: no shutdown hooks, no flush, as a power cut or the OOM killer would.</summary>
        public void KillHard()
        {
            _process.Kill(entireProcessTree: false); // Process.Kill sends SIGKILL on Unix
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                KillHard();
            _process.Dispose();
        }
    }
}
