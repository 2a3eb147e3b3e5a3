using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SanReid.LoadBench;

/// <summary>The built Api as a child process on 127.0.0.1 (free port, temp gallery); its RSS is read from /proc.</summary>
internal sealed class ChildApi : IDisposable
{
    public const string Key = "loadbench-key-0123456789";
    private readonly Process _process;
    private readonly string _dir;

    public ChildApi(string root, string configuration, IEnumerable<string> settings)
    {
        string dll = Path.Combine(root, "src", "Api", "bin", configuration, "net10.0", "SanReid.Api.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build the Api first (dotnet build SanReid.sln -c {configuration}): {dll}");
        _dir = Directory.CreateTempSubdirectory("sanreid-loadbench-").FullName;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OMP_WAIT_POLICY"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE";
        foreach (var a in new[] { dll, $"--urls=http://127.0.0.1:{Port}", $"--SanReid:Model:Path={Path.Combine(root, "models", "sanreid-resnet18-imagenet.onnx")}",
                     $"--SanReid:Gallery:DatabasePath={Path.Combine(_dir, "gallery.db")}", $"--SanReid:Auth:ApiKeys:0={Key}",
                     "--SanReid:RateLimit:Enabled=false", "--Logging:LogLevel:Default=Warning" }.Concat(settings))
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && line.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.Error.WriteLine($"api: {line}"); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Add("X-Api-Key", Key);
    }

    public int Port { get; }
    public HttpClient Http { get; }

    public async Task WaitReady()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"Api exited with {_process.ExitCode}");
            try
            {
                using var r = await Http.GetAsync("/health/ready");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("Api not ready in 2 minutes");
    }

    /// <summary>Resident set size of the server process in MiB (VmRSS).</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        return double.NaN;
    }

    public void Dispose()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
