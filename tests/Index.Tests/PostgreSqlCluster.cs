using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SanReid.Index.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster for tests: initdb into a fresh temp folder, postgres on a free loopback port (and its
/// socket in that folder), password (SCRAM) login over TCP as superuser <see cref="User"/>. PostgreSQL refuses to run
/// as root, so under root (CI) the server runs as the unprivileged <c>postgres</c> user (Debian's postgresql package
/// creates it). <see cref="Shared"/> starts once per test process and stops at its exit; a test that stops or restarts
/// the server makes its own with <see cref="Start"/>. Needs Debian's postgresql-15 (scripts/setup.sh installs it).
/// </summary>
public sealed class PostgreSqlCluster : IDisposable
{
    public const string User = "sanreid";
    public const string Password = "test-pw-5a4e1d";

    private static readonly Lazy<PostgreSqlCluster> SharedCluster = new(() =>
    {
        var cluster = Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    });

    private readonly string folder;
    private readonly string binaries;
    private readonly string? runAs;
    private bool disposed;

    private PostgreSqlCluster(string folder, string binaries, string? runAs, int port)
    {
        this.folder = folder;
        this.binaries = binaries;
        this.runAs = runAs;
        Port = port;
    }

    /// <summary>The cluster shared by every test of this process (started on first use).</summary>
    public static PostgreSqlCluster Shared => SharedCluster.Value;

    public int Port { get; private set; }

    private string DataDirectory => Path.Combine(folder, "data");

    /// <summary>A connection string for database <c>postgres</c>; with <paramref name="schema"/> the gallery's tables
    /// live in that schema (the store creates it), so tests sharing the cluster never see each other's items.</summary>
    public string ConnectionString(string? schema = null) =>
        $"Host=127.0.0.1;Port={Port};Database=postgres;Username={User};Password={Password};Timeout=5" +
        (schema is null ? "" : $";Search Path={schema}");

    /// <summary>A new schema name, unique to the call (lowercase letters, digits and _; at most 40 characters).</summary>
    public static string NewSchema(string hint = "g")
    {
        string clean = new([.. hint.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').Take(16)]);
        return $"t{Guid.NewGuid():N}"[..13] + "_" + clean;
    }

    /// <summary>initdb + start on a free port; waits until the server accepts connections.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed or does not start (message has its log).</exception>
    public static PostgreSqlCluster Start()
    {
        string binaries = FindBinaries();
        RemoveStoppedClusters();
        string folder = Path.Combine(Path.GetTempPath(), $"sanreid-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        string? runAs = Environment.UserName == "root" ? "postgres" : null;
        string passwordFile = Path.Combine(folder, "pw");
        File.WriteAllText(passwordFile, Password);
        if (runAs is not null)
        {
            Run("chown", ["-R", runAs, folder], null);
        }

        var cluster = new PostgreSqlCluster(folder, binaries, runAs, FreePort());
        cluster.RunTool("initdb", ["-D", cluster.DataDirectory, "-U", User, "--pwfile", passwordFile, "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--no-sync"]);
        File.Delete(passwordFile);
        cluster.StartServer();
        return cluster;
    }

    /// <summary>Starts the server again after <see cref="StopServer"/> (same port, same data).</summary>
    public void StartServer()
    {
        // Test speed: fsync off (the cluster is thrown away; only an OS crash would lose data). Commits stay synchronous,
        // so an immediate stop (StopServer) loses nothing committed. Replica durability is the store's own
        // commit-before-acknowledge, which does not depend on it.
        RunTool("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200",
            "start"]);
    }

    /// <summary>Stops the server at once (connections are cut, as when a database machine dies).</summary>
    public void StopServer() => RunTool("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        try
        {
            StopServer();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void RunTool(string tool, string[] arguments)
    {
        string path = Path.Combine(binaries, tool);
        if (runAs is null)
        {
            Run(path, arguments, folder);
        }
        else
        {
            Run("runuser", ["-u", runAs, "--", path, .. arguments], folder);
        }
    }

    private static void Run(string file, string[] arguments, string? workingDirectory)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish in 120 s.");
        }

        if (process.ExitCode != 0)
        {
            string log = workingDirectory is not null && File.Exists(Path.Combine(workingDirectory, "server.log"))
                ? File.ReadAllText(Path.Combine(workingDirectory, "server.log"))
                : "";
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Result}{error.Result}{log}");
        }
    }

    /// <summary>Folders of earlier runs whose server is not running (a test host ended before its exit handler
    /// deleted the folder): removed, so runs do not pile up clusters in the temp folder.</summary>
    private static void RemoveStoppedClusters()
    {
        foreach (string old in Directory.GetDirectories(Path.GetTempPath(), "sanreid-pg-*"))
        {
            try
            {
                if (!File.Exists(Path.Combine(old, "data", "postmaster.pid")) && Directory.GetCreationTimeUtc(old) < DateTime.UtcNow.AddMinutes(-1))
                {
                    Directory.Delete(old, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static string FindBinaries()
    {
        string root = "/usr/lib/postgresql";
        string? found = Directory.Exists(root)
            ? Directory.GetDirectories(root).OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;
        return found ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql: run scripts/setup.sh " +
            "(it installs Debian's postgresql-15).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
