using Microsoft.Extensions.DependencyInjection.Extensions;
using ModuleService.Inference.Telemetry;

namespace ModuleService.Api.Usage;

public static class UsageServiceCollectionExtensions
{
    /// <summary>
    /// Periodic flushing of the engine's expert usage into the registry (<see cref="UsageOptions"/>). Uses the
    /// <see cref="ExpertUsage"/> singleton the inference services register; TryAdd only so a process without them
    /// still starts (it then flushes nothing).
    /// </summary>
    public static IServiceCollection AddUsageFlushing(this IServiceCollection services)
    {
        services.AddOptions<UsageOptions>().BindConfiguration(UsageOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ExpertUsage>();
        services.AddSingleton<UsageFlusher>();
        services.AddHostedService<UsageFlushService>();
        return services;
    }
}
