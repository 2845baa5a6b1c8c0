using Microsoft.Extensions.Options;
using ModuleService.Api.Auth;
using ModuleService.Api.Inference;
using ModuleService.Inference.Batching;

namespace ModuleService.Api.RateLimiting;

/// <summary>
/// Per-key limits on an inference endpoint. Before the handler runs: an early 429 if the key's budget is already
/// empty, so a throttled client costs no body parsing, model look-up or tokenization. The handler then charges
/// the request once its size is known (<see cref="RateLimitExtensions.RateLimits"/>), before anything is queued.
/// The <c>x-ratelimit-*</c> headers go on every response, whatever its status.
/// </summary>
public sealed class KeyRateLimitFilter(KeyRateLimiter limiter, IOptions<RateLimitOptions> options, TimeProvider time) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var limits = EffectiveRateLimits.Resolve(context.User.OwnRateLimits(), options.Value);
        var admission = new RateLimitAdmission(limiter, time, context, context.User.KeyId(), limits);
        context.Features.Set(admission);
        context.Response.OnStarting(() =>
        {
            admission.WriteHeaders(context.Response.Headers);
            return Task.CompletedTask;
        });
        if (admission.Peek() is { } refused) return refused;
        try
        {
            return await next(invocation);
        }
        // Refused after admission with nothing computed (full queue, the engine's own checks): the budget is
        // given back, as if the request had not come.
        catch (Exception e) when (e is QueueFullException or CompletionValidationException or RequestFieldException)
        {
            admission.Release();
            throw;
        }
    }
}
