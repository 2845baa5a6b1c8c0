using ModuleService.Registry.Hosting;
using Xunit;

namespace ModuleService.Api.Tests.Support;

/// <summary>
/// One throwaway PostgreSQL cluster per test run (stack-notes §3). Each test class gets its own database from it,
/// so classes never see each other's rows; the app under test migrates that database on start.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    PostgresCluster? cluster;
    int databases;

    public async Task InitializeAsync()
    {
        cluster = await PostgresCluster.InitializeAsync();
        await cluster.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null) await cluster.DisposeAsync();
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Interlocked.Increment(ref databases)}";
        await cluster!.CreateDatabaseAsync(name);
        return cluster.ConnectionString(name) + ";Include Error Detail=true";
    }
}

/// <summary>All API test classes share the cluster; xunit runs the classes of one collection one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "api";
}
