using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using ModuleService.Registry.Hosting;
using Xunit;

namespace ModuleService.Registry.Tests.Support;

/// <summary>
/// One throwaway PostgreSQL cluster per test run (stack-notes §3) and one migrated database per test class, so
/// classes never see each other's rows.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    PostgresCluster? cluster;
    readonly ConcurrentDictionary<string, Lazy<Task<string>>> databases = new();

    public async Task InitializeAsync()
    {
        cluster = await PostgresCluster.InitializeAsync();
        await cluster.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null) await cluster.DisposeAsync();
    }

    /// <summary>Connection string of the test class's database, created and migrated on first use.</summary>
    public Task<string> DatabaseForAsync(Type testClass) =>
        databases.GetOrAdd(testClass.Name, name => new Lazy<Task<string>>(() => CreateAsync(name))).Value;

    async Task<string> CreateAsync(string className)
    {
        var name = "t_" + new string(className.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());
        await cluster!.CreateDatabaseAsync(name);
        var connectionString = cluster.ConnectionString(name) + ";Include Error Detail=true";
        var options = new DbContextOptionsBuilder<RegistryDbContext>();
        RegistryDbContext.Configure(options, connectionString);
        await using var db = new RegistryDbContext(options.Options);
        await db.Database.MigrateAsync();
        return connectionString;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
