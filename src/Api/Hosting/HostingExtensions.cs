using System.Text.Json;
using System.Text.Json.Serialization;
using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Options;
using ModuleService.Api.Infrastructure;
using ModuleService.Jobs;
using ModuleService.Registry;

namespace ModuleService.Api.Hosting;

public static class HostingExtensions
{
    public const string DefaultUrl = "http://localhost:5080";

    /// <summary>The product listens on :5080 unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> say otherwise.</summary>
    public static IWebHostBuilder UseUrlsIfUnset(this IWebHostBuilder host, string url)
    {
        if (string.IsNullOrEmpty(host.GetSetting(WebHostDefaults.ServerUrlsKey))) host.UseUrls(url);
        return host;
    }

    public static IServiceCollection AddModuleServiceHosting(this IServiceCollection services)
    {
        services.AddOptions<ModuleServiceOptions>().BindConfiguration(ModuleServiceOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EmbeddedPostgresWatchdog>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedPostgresWatchdog>());
        // One bounded limit for every body; the two streaming uploads lift it per endpoint (StreamingUpload).
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<ModuleServiceOptions>>((kestrel, options) => kestrel.Limits.MaxRequestBodySize = options.Value.MaxRequestBodyBytes);
        services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o => o.MultipartBodyLengthLimit = long.MaxValue);
        return services;
    }

    /// <summary>ProblemDetails for every error, enums as camelCase strings on the wire.</summary>
    public static IServiceCollection AddModuleServiceProblemDetails(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            o.SerializerOptions.Converters.Add(new NulFreeStringConverter());
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
            o.SerializerOptions.AllowDuplicateProperties = false;   // which of two values would count is up to the reader
        });
        // Binding failures (a malformed query value, an unreadable or missing body) become BadHttpRequestExceptions
        // whose message names the parameter, and so ProblemDetails that say which one; otherwise the 400 has no detail.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = TooLargeBodyDetail.Describe);
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        return services;
    }

    /// <summary>Hangfire on the registry's PostgreSQL; this process runs a server when its role includes the worker.</summary>
    public static IServiceCollection AddHangfireWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HangfireOptions>().BindConfiguration(HangfireOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHangfire((sp, cfg) =>
        {
            var options = sp.GetRequiredService<IOptions<HangfireOptions>>().Value;
            cfg.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(sp.GetRequiredService<IConfiguration>()
                        .GetConnectionString(RegistryServiceCollectionExtensions.ConnectionStringName)),
                    new PostgreSqlStorageOptions
                    {
                        PrepareSchemaIfNecessary = true,
                        QueuePollInterval = options.QueuePollInterval,
                        // Sliding: a live worker keeps its job however long it trains; a dead one loses it after the timeout.
                        InvisibilityTimeout = options.InvisibilityTimeout,
                        UseSlidingInvisibilityTimeout = true,
                    });
        });
        var role = configuration.GetSection(ModuleServiceOptions.SectionName).Get<ModuleServiceOptions>() ?? new ModuleServiceOptions();
        if (!role.RunsWorker) return services;
        // Two servers, so a quick job (token counts, evaluation, import) never waits behind a long training run.
        services.AddHangfireServer((sp, o) =>
        {
            var workers = sp.GetRequiredService<IOptions<HangfireOptions>>().Value.TrainingWorkers;
            o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:training";
            o.WorkerCount = workers > 0 ? workers : Math.Max(1, Environment.ProcessorCount / 2);
            o.Queues = [JobCatalog.TrainingQueue];
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        services.AddHangfireServer((sp, o) =>
        {
            o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:light";
            o.WorkerCount = sp.GetRequiredService<IOptions<HangfireOptions>>().Value.LightWorkers;
            o.Queues = [JobCatalog.LightQueue];
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return services;
    }
}
