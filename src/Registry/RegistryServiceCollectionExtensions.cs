using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Imports;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Modules;
using ModuleService.Registry.Stages;
using ModuleService.Registry.Storage;
using ModuleService.Registry.Usage;

namespace ModuleService.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>Name of the connection string (<c>ConnectionStrings:Registry</c>).</summary>
    public const string ConnectionStringName = "Registry";

    /// <summary>
    /// Registers the registry's DbContext and services (all scoped, one DbContext per request or job). The connection
    /// string is read when a context is created, not now, so tests and embedded PostgreSQL can set it later.
    /// </summary>
    public static IServiceCollection AddRegistry(this IServiceCollection services)
    {
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddDbContext<RegistryDbContext>((sp, options) =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName)
                ?? throw new InvalidOperationException($"connection string '{ConnectionStringName}' is not configured");
            RegistryDbContext.Configure(options, connectionString);
        });
        services.AddScoped<BlobStore>();
        services.AddScoped<AuditLog>();
        services.AddScoped<StageLog>();
        services.AddScoped<FamilyRegistrar>();
        services.AddScoped<ModuleVersionWriter>();
        services.AddScoped<AssemblyWriter>();
        services.AddScoped<CheckpointImporter>();
        services.AddScoped<AssemblyService>();
        services.AddScoped<ModuleCatalog>();
        services.AddScoped<ApiKeyStore>();
        services.AddScoped<ExpertUsageStore>();
        services.AddDatasets();
        return services;
    }

    /// <summary>
    /// Applies pending migrations when <see cref="RegistryOptions.MigrateOnStartup"/> is on (the default, for
    /// one-machine runs); production turns it off and migrates in a deployment step. Returns whether it ran.
    /// </summary>
    public static async Task<bool> MigrateRegistryAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        if (!services.GetRequiredService<IOptions<RegistryOptions>>().Value.MigrateOnStartup) return false;
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().Database.MigrateAsync(ct);
        return true;
    }
}
