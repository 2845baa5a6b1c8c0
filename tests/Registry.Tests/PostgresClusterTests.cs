using ModuleService.Registry.Hosting;
using ModuleService.Registry.Tests.Support;
using Npgsql;
using Xunit;

namespace ModuleService.Registry.Tests;

/// <summary>The embedded-PostgreSQL mode: a persistent directory survives restarts and killed runs.</summary>
public sealed class PostgresClusterTests
{
    [Fact]
    public async Task PersistentCluster_IsReusedAndSurvivesAStalePidFile()
    {
        using var dir = new TempDir("modsvc-pg-");
        // Temp folders are private (0700); under root the postgres user must be able to pass through this one.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        var root = Path.Combine(dir.Path, "pg");
        await using (var first = await PostgresCluster.InitializeAsync(root))
        {
            await first.StartAsync();
            await first.CreateDatabaseAsync("kept");
        }
        var versionFile = Path.Combine(root, "data", "PG_VERSION");
        var initialised = File.GetLastWriteTimeUtc(versionFile);
        // What a killed host leaves behind: a pid file naming a process that no longer exists.
        await File.WriteAllTextAsync(Path.Combine(root, "data", "postmaster.pid"), "999999\n");

        await using var second = await PostgresCluster.InitializeAsync(root);
        await second.StartAsync();

        Assert.Equal(initialised, File.GetLastWriteTimeUtc(versionFile));
        await using var connection = new NpgsqlConnection(second.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = 'kept'", connection);
        Assert.Equal(1L, await command.ExecuteScalarAsync());
        await second.StopAsync();
    }
}
