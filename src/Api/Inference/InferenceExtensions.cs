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
        services.Configure<ProblemDetailsOptions>(options =>
        {
            var previous = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                previous?.Invoke(context);
                AddOpenAiError(context);
            };
        });
        return services;
    }

    static readonly string[] OpenAiPaths = ["/v1/completions", "/v1/chat/completions", "/v1/models"];

    /// <summary>
    /// OpenAI clients read errors from <c>{"error": {"message", "type", "param", "code"}}</c> (the official ones
    /// show "status code (no body)" otherwise), so the serving endpoints' problems carry that member too; the
    /// field at fault becomes <c>param</c>.
    /// </summary>
    static void AddOpenAiError(ProblemDetailsContext context)
    {
        if (!OpenAiPaths.Any(p => context.HttpContext.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))) return;
        var problem = context.ProblemDetails;
        int status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Extensions.TryGetValue("target", out var target);
        // The completion endpoints answer 404 only for the model.
        bool modelNotFound = status == 404 && !context.HttpContext.Request.Path.StartsWithSegments("/v1/models");
        problem.Extensions["error"] = new Dictionary<string, object?>
        {
            ["message"] = problem.Detail ?? problem.Title,
            ["type"] = status switch
            {
                401 => "authentication_error",
                403 => "permission_error",
                429 => "rate_limit_error",
                >= 500 => "server_error",
                _ => "invalid_request_error",
            },
            ["param"] = modelNotFound ? "model" : target?.ToString(),
            ["code"] = modelNotFound ? "model_not_found" : problem.Extensions.ContainsKey("limit") ? "rate_limit_exceeded" : null,
        };
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
