using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ModuleService.Api.Tests.Support;

/// <summary>
/// The real app (Program.cs) on a test class's own database, with its own bootstrap admin key, blob cache and a
/// fast Hangfire poll. Every log line goes to <see cref="Logs"/> (and nowhere else) so tests can inspect it.
/// </summary>
/// <param name="settings">configuration that overrides the test defaults.</param>
public sealed class ModuleServiceFactory(string connectionString, string bootstrapAdminKey, string cacheDirectory,
    IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Registry", connectionString);
        builder.UseSetting("Auth:BootstrapAdminKey", bootstrapAdminKey);
        builder.UseSetting("Registry:CacheDirectory", cacheDirectory);
        builder.UseSetting("Hangfire:QueuePollInterval", "00:00:00.200");
        // Tests count rows and name their own assemblies; the shipped model is registered only where a test asks.
        builder.UseSetting("DefaultModel:Enabled", "false");
        // A background token count after every upload would write rows while tests count them; tests that want it say so.
        builder.UseSetting("Datasets:CountTokensOnUpload", "false");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Logs);
            // Debug everywhere, so a secret leaking into e.g. an authentication message would be caught; EF's
            // debug output is only noise and time.
            logging.AddFilter<LogCapture>(null, LogLevel.Debug);
            logging.AddFilter<LogCapture>("Microsoft.EntityFrameworkCore", LogLevel.Information);
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // Npgsql's pools are static and outlive the host: each finished class would leave its idle connections open
        // for the pool's idle lifetime (5 min), and a machine fast enough to run 40 classes in that time runs the
        // throwaway cluster out of max_connections ("53300: sorry, too many clients already").
        NpgsqlConnection.ClearAllPools();
    }
}
