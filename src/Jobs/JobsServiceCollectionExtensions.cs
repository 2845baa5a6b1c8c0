using Microsoft.Extensions.DependencyInjection;
using ModuleService.Jobs.Datasets;
using ModuleService.Jobs.Finetune;
using ModuleService.Registry.Keys;

namespace ModuleService.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>The job types, their scopes and queues, the runners Hangfire activates, and the job service.</summary>
    public static IServiceCollection AddModuleJobs(this IServiceCollection services)
    {
        var catalog = new JobCatalog()
            .Add<ImportJob>("import", ApiScopes.Admin, trains: false)
            .Add<EvaluateJob>("evaluate", ApiScopes.Train, trains: false)
            .Add<ExtendJob>("extend", ApiScopes.Train, trains: true)
            .Add<FinetuneJob>("finetune", ApiScopes.Train, trains: true)
            .Add<DatasetStatsJob>(DatasetStatsJob.Name, ApiScopes.Train, trains: false)
            .Add<PruneJob>("prune", ApiScopes.Admin, trains: false)
            .Add<PretrainJob>("pretrain", ApiScopes.Admin, trains: true);
        services.AddSingleton(catalog);
        foreach (var type in catalog.Types) services.AddScoped(type.Handler);
        services.AddScoped<JobService>();
        services.AddScoped<JobData>();
        services.AddScoped<TrainingQueueRunner>();
        services.AddScoped<LightQueueRunner>();
        return services;
    }
}
