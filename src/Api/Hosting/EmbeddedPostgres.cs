using ModuleService.Registry;
using ModuleService.Registry.Hosting;
using System.Runtime.InteropServices;
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
        StopWithTheApp(app, cluster);
        app.Services.GetRequiredService<EmbeddedPostgresWatchdog>().Watch(cluster);

        var builder = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = cluster.Port, Username = "postgres", Database = DatabaseName };
        await CreateDatabaseIfMissingAsync(cluster, builder);
        configuration[$"ConnectionStrings:{RegistryServiceCollectionExtensions.ConnectionStringName}"] = builder.ConnectionString;
        configuration[$"{RegistryOptions.SectionName}:CacheDirectory"] ??= Path.Combine(dataDirectory, "blob-cache");
        logger.LogInformation("Embedded PostgreSQL running from {Directory} on port {Port}", cluster.DataDirectory, cluster.Port);
    }

    /// <summary>
    /// The cluster stops after the host (and Hangfire) has stopped. A signal that arrives before the host runs
    /// (during migrations, say) would end the process without that, leaving postgres behind: stop it first then.
    /// </summary>
    static void StopWithTheApp(WebApplication app, PostgresCluster cluster)
    {
        var stop = () => cluster.StopAsync().GetAwaiter().GetResult();
        app.Lifetime.ApplicationStopped.Register(stop);
        var early = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => { if (!app.Lifetime.ApplicationStarted.IsCancellationRequested) stop(); }))
            .ToList();
        app.Lifetime.ApplicationStarted.Register(() => early.ForEach(r => r.Dispose()));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop();
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
