using Microsoft.Extensions.Options;
using ModuleService.Inference;
using ModuleService.Inference.Telemetry;

namespace ModuleService.Api.Inference;

public static class InferenceExtensions
{
    /// <summary>One engine host per process (models cached by manifest hash), its metrics and expert-usage tally.</summary>
    public static IServiceCollection AddInference(this IServiceCollection services)
    {
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ExpertUsage>();
        services.AddSingleton(sp => new EngineMetrics(sp.GetRequiredService<ExpertUsage>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            InferenceRuntime.ApplyThreadSettings(options);
            return new InferenceHost(options, sp.GetRequiredService<EngineMetrics>(), sp.GetRequiredService<ExpertUsage>());
        });
        services.AddScoped<ServedModels>();
        services.AddScoped<CompletionRunner>();
        return services;
    }

    /// <summary>Prometheus text: requests, tokens, queue depth, latency histograms, per-expert selections.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (EngineMetrics metrics) =>
        {
            var text = new StringWriter();
            metrics.WritePrometheus(text);
            return Results.Text(text.ToString(), "text/plain; version=0.0.4");
        }).WithTags("Inference").WithName("Metrics").WithSummary("Serving metrics in Prometheus text format.")
          .RequireAuthorization(ModuleService.Registry.Keys.ApiScopes.Read);
        return app;
    }
}
