using Microsoft.Extensions.DependencyInjection;

namespace ModuleService.Registry.Datasets;

public static class DatasetServiceCollectionExtensions
{
    /// <summary>Dataset storage; called by <see cref="RegistryServiceCollectionExtensions.AddRegistry"/>.</summary>
    public static IServiceCollection AddDatasets(this IServiceCollection services)
    {
        services.AddOptions<DatasetOptions>().BindConfiguration(DatasetOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<DatasetStore>();
        return services;
    }
}
