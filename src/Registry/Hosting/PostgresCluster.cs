using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ModuleService.Registry.Hosting;

/// <summary>
/// A private PostgreSQL cluster run from the installed binaries: "embedded PostgreSQL" for a one-machine
/// deployment (persistent directory) and the throwaway database server of the tests (temporary directory). It
/// listens on 127.0.0.1 only, with its socket in its own directory, so it never clashes with a system cluster.
/// Authentication is <c>trust</c> for local connections: fine for loopback-only use, not for a shared host.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    readonly PostgresTools tools;
    readonly bool temporary;
    readonly ILogger logger;

    PostgresCluster(PostgresTools tools, string root, bool temporary, ILogger logger) =>
        (this.tools, RootDirectory, this.temporary, this.logger) = (tools, root, temporary, logger);

    /// <summary>Holds <c>data/</c>, <c>postgres.log</c> and the unix socket.</summary>
    public string RootDirectory { get; }
    public string DataDirectory => Path.Combine(RootDirectory, "data");
    public string LogFile => Path.Combine(RootDirectory, "postgres.log");
    public int Port { get; private set; }
    public bool IsRunning { get; private set; }

    /// <summary>
    /// Prepares a cluster in <paramref name="directory"/> (kept; an existing cluster there is reused, never
    /// re-initialised) or, when null, in a new temporary directory that <see cref="DisposeAsync"/> deletes.
    /// </summary>
    public static async Task<PostgresCluster> InitializeAsync(string? directory = null, ILogger? logger = null, CancellationToken ct = default)
    {
        var tools = PostgresTools.Locate();
        var root = directory is null
            ? Directory.CreateTempSubdirectory("pgtest-").FullName
            : Directory.CreateDirectory(Path.GetFullPath(directory)).FullName;
        await tools.ChownAsync(root, ct);
        var cluster = new PostgresCluster(tools, root, directory is null, logger ?? NullLogger.Instance);
        if (!File.Exists(Path.Combine(cluster.DataDirectory, "PG_VERSION")))
        {
            var result = await tools.RunAsync("initdb", ["-D", cluster.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--locale=C", "--no-sync", "--no-instructions"], TimeSpan.FromMinutes(2), ct);
            if (result.ExitCode != 0) throw new InvalidOperationException($"initdb failed (exit {result.ExitCode}): {result.Output}");
        }
        return cluster;
    }

    /// <summary>Starts the server on <paramref name="port"/> or a free loopback port.</summary>
    public async Task StartAsync(int? port = null, CancellationToken ct = default)
    {
        if (IsRunning) return;
        await LaunchAsync(port ?? FreePort(), ct);
        IsRunning = true;
        logger.LogInformation("PostgreSQL started on 127.0.0.1:{Port} with data in {DataDirectory}", Port, DataDirectory);
    }

    /// <summary>
    /// True when the postmaster named in <c>postmaster.pid</c> is alive. False after a crash or a kill, even before
    /// the pid is reaped (a zombie has no command line).
    /// </summary>
    public bool IsServerAlive()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try { return int.TryParse(File.ReadLines(pidFile).FirstOrDefault()?.Trim(), out var pid) && IsPostmaster(pid); }
        catch (IOException) { return false; }
    }

    /// <summary>
    /// Starts a server that died (killed, crashed) again on the same port and data; PostgreSQL replays its WAL. Does
    /// nothing for a cluster stopped on purpose. Throws while the dead server's children still hold its shared
    /// memory (they exit within moments of noticing), so callers retry.
    /// </summary>
    public async Task RestartAfterCrashAsync(CancellationToken ct = default)
    {
        if (!IsRunning) return;
        await LaunchAsync(Port, ct);
    }

    async Task LaunchAsync(int port, CancellationToken ct)
    {
        await RemoveStaleServerAsync(ct);
        Port = port;
        // Durability settings are only relaxed for throwaway clusters.
        var options = $"-p {Port} -k '{RootDirectory}' -c listen_addresses=127.0.0.1 -c max_connections=200"
            + (temporary ? " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" : "");
        var result = await tools.RunAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"],
            TimeSpan.FromSeconds(90), ct);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"pg_ctl start failed (exit {result.ExitCode}): {result.Output}\n{LogTail()}");
    }

    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database }.ConnectionString;

    /// <summary>Creates the database unless it exists.</summary>
    public async Task CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        // CREATE DATABASE takes no parameters, so the name is restricted instead of escaped.
        if (name.Length is 0 or > 63 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"database name '{name}' must be 1-63 ASCII letters, digits or underscores", nameof(name));
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = name } } };
        if (await exists.ExecuteScalarAsync(ct) is not null) return;
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Stops the server: <c>fast</c> (clean shutdown) by default, <c>immediate</c> for throwaway clusters.</summary>
    public async Task StopAsync(bool immediate = false, CancellationToken ct = default)
    {
        if (!IsRunning) return;
        var result = await tools.RunAsync("pg_ctl", ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "stop"],
            TimeSpan.FromSeconds(60), ct);
        if (result.ExitCode != 0) logger.LogWarning("pg_ctl stop exited with {ExitCode}: {Output}", result.ExitCode, result.Output);
        IsRunning = false;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(immediate: temporary);
        if (temporary && Directory.Exists(RootDirectory)) Directory.Delete(RootDirectory, recursive: true);
    }

    /// <summary>
    /// A killed host can leave postmaster.pid behind, with its server still running or not. A live postmaster of
    /// this data directory is stopped (we cannot know its port is free or its settings ours); a dead one's pid file
    /// is removed, since a reused pid would otherwise make PostgreSQL refuse to start.
    /// </summary>
    async Task RemoveStaleServerAsync(CancellationToken ct)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var first = File.ReadLines(pidFile).FirstOrDefault()?.Trim();
        if (int.TryParse(first, out var pid) && IsPostmaster(pid))
        {
            logger.LogWarning("Stopping a PostgreSQL server (pid {Pid}) left running on {DataDirectory}", pid, DataDirectory);
            await tools.RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "stop"], TimeSpan.FromSeconds(60), ct);
        }
        if (File.Exists(pidFile))
        {
            logger.LogWarning("Removing stale {PidFile} (pid {Pid} is not a running postmaster)", pidFile, first);
            File.Delete(pidFile);
        }
    }

    bool IsPostmaster(int pid)
    {
        var cmdline = $"/proc/{pid}/cmdline";
        if (!File.Exists(cmdline)) return false;
        var text = File.ReadAllText(cmdline).Replace('\0', ' ');
        return text.Contains("postgres") && text.Contains(DataDirectory);
    }

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }

    string LogTail() => File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(20)) : "(no server log)";
}
