using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ModuleService.Api.RateLimiting;

public static class RateLimitExtensions
{
    /// <summary>Per-key rate limits (<see cref="RateLimitOptions"/>): one in-memory limiter per process.</summary>
    public static IServiceCollection AddKeyRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<KeyRateLimiter>();
        return services;
    }

    /// <summary>Puts the endpoint under the caller's key limits; its handler must charge each request through
    /// <see cref="RateLimits"/> before it queues work.</summary>
    public static RouteHandlerBuilder RequireKeyRateLimits(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter<KeyRateLimitFilter>().ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>The request's admission, set by <see cref="KeyRateLimitFilter"/>.</summary>
    public static RateLimitAdmission RateLimits(this HttpContext context) =>
        context.Features.Get<RateLimitAdmission>()
        ?? throw new InvalidOperationException("the endpoint has no RequireKeyRateLimits()");
}
