using Microsoft.Extensions.Options;
using ModuleService.Registry;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using AssemblyRow = ModuleService.Registry.Data.Entities.Assembly;
using ModuleService.Registry.Imports;

namespace ModuleService.Api.Hosting;

public static class DefaultModelSeeding
{
    public static IServiceCollection AddDefaultModel(this IServiceCollection services)
    {
        services.AddOptions<DefaultModelOptions>().BindConfiguration(DefaultModelOptions.SectionName)
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.Name), "DefaultModel:Name must not be empty").ValidateOnStart();
        return services;
    }

    /// <summary>
    /// A fresh install answers completions at once: the shipped model becomes assembly <c>default</c> on first start.
    /// Later starts find it and do nothing, so an operator's own <c>default</c> is never overwritten.
    /// </summary>
    public static async Task SeedDefaultModelAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var options = services.GetRequiredService<IOptions<DefaultModelOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DefaultModelSeeding));
        if (!options.Enabled) return;
        if (!File.Exists(System.IO.Path.Combine(options.Path, "config.json")))
        {
            logger.LogWarning("No default model at {Path}; the registry starts empty", options.Path);
            return;
        }
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        if (await db.Set<AssemblyRow>().AnyAsync(a => a.Name == options.Name, ct)) return;
        try
        {
            var result = await scope.ServiceProvider.GetRequiredService<CheckpointImporter>()
                .ImportFolderAsync(options.Path, options.Name, "system:first-start", ct);
            logger.LogInformation("Registered the default model as {Name}@{Version} ({Modules} modules) from {Path}",
                result.Name, result.Version, result.ModuleCount, options.Path);
        }
        catch (ConflictException)
        {
            // Another process of the deployment registered it at the same moment.
            logger.LogInformation("The default model was registered by another process");
        }
    }
}
