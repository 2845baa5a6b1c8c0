using ModuleService.Registry;
using ModuleService.Registry.Hosting;
using Npgsql;

namespace ModuleService.Api.Hosting;

/// <summary>
/// With no <c>ConnectionStrings:Registry</c>, the app runs its own PostgreSQL cluster under
/// <c>ModuleService:DataDirectory</c>: initialised on first start, started with the app and stopped with it.
/// </summary>
public static class EmbeddedPostgres
{
    const string DatabaseName = "modulesvc";

    public static async Task StartEmbeddedPostgresIfNoConnectionStringAsync(this WebApplication app)
    {
        var configuration = app.Configuration;
        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString(RegistryServiceCollectionExtensions.ConnectionStringName))) return;

        var dataDirectory = configuration[$"{ModuleServiceOptions.SectionName}:DataDirectory"] ?? new ModuleServiceOptions().DataDirectory;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EmbeddedPostgres");
        var cluster = await PostgresCluster.InitializeAsync(Path.Combine(dataDirectory, "postgres"), logger);
        await cluster.StartAsync();
        app.Lifetime.ApplicationStopped.Register(() => cluster.StopAsync().GetAwaiter().GetResult());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAsync().GetAwaiter().GetResult();

        var builder = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = cluster.Port, Username = "postgres", Database = DatabaseName };
        await CreateDatabaseIfMissingAsync(cluster, builder);
        configuration[$"ConnectionStrings:{RegistryServiceCollectionExtensions.ConnectionStringName}"] = builder.ConnectionString;
        configuration[$"{RegistryOptions.SectionName}:CacheDirectory"] ??= Path.Combine(dataDirectory, "blob-cache");
        logger.LogInformation("Embedded PostgreSQL running from {Directory} on port {Port}", cluster.DataDirectory, cluster.Port);
    }

    static async Task CreateDatabaseIfMissingAsync(PostgresCluster cluster, NpgsqlConnectionStringBuilder target)
    {
        var admin = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", connection);
        exists.Parameters.AddWithValue("name", DatabaseName);
        if (await exists.ExecuteScalarAsync() is null) await cluster.CreateDatabaseAsync(DatabaseName);
    }
}
