using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Imports;
using ModuleService.Registry.Modules;
using ModuleService.Registry.Storage;
using Npgsql;
using Xunit;

namespace ModuleService.Registry.Tests.Support;

/// <summary>
/// Wires the registry exactly as the API does (<see cref="RegistryServiceCollectionExtensions.AddRegistry"/>),
/// pointed at the class's database and a private blob cache. Each test gets a fresh DI scope.
/// </summary>
[Collection(PostgresCollection.Name)]
public abstract class RegistryTestBase(PostgresFixture postgres) : IAsyncLifetime
{
    protected const string Actor = "tester";
    ServiceProvider? provider;
    AsyncServiceScope scope;

    protected string ConnectionString { get; private set; } = "";
    protected TempDir Cache { get; } = new("modsvc-cache-");

    /// <summary>Extra configuration for a test class (e.g. a small blob chunk size).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public async Task InitializeAsync()
    {
        ConnectionString = await postgres.DatabaseForAsync(GetType());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Registry"] = ConnectionString,
            ["Registry:CacheDirectory"] = Cache.Path,
        }.Concat(Settings)).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddRegistry();
        provider = services.BuildServiceProvider(validateScopes: true);
        scope = provider.CreateAsyncScope();
    }

    public async Task DisposeAsync()
    {
        await scope.DisposeAsync();
        if (provider is not null) await provider.DisposeAsync();
        Cache.Dispose();
    }

    protected T Get<T>() where T : notnull => scope.ServiceProvider.GetRequiredService<T>();
    protected RegistryDbContext Db => Get<RegistryDbContext>();
    protected CheckpointImporter Importer => Get<CheckpointImporter>();
    protected AssemblyService Assemblies => Get<AssemblyService>();
    protected ModuleCatalog Catalog => Get<ModuleCatalog>();
    protected AuditLog Audit => Get<AuditLog>();
    protected BlobStore Blobs => Get<BlobStore>();

    /// <summary>A fresh scope (new DbContext), as a second request would have.</summary>
    protected AsyncServiceScope NewScope() => provider!.CreateAsyncScope();

    /// <summary>An assembly name no other test of the class uses.</summary>
    protected static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>Row count of every registry table, to prove that a failed operation wrote nothing.</summary>
    protected async Task<Dictionary<string, long>> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in ModuleService.Migrations.ImmutableRows.Tables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    /// <summary>Runs SQL as the superuser, bypassing the services (for tests of the database's own guards).</summary>
    protected async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
