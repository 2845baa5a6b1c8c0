using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Usage;

namespace ModuleService.Api.Usage;

/// <summary>Per-expert usage from served traffic, for pruning decisions.</summary>
public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/assemblies/{name}/versions/{version}/usage", GetAsync).RequireAuthorization(ApiScopes.Read)
            .WithTags("Usage").WithName("GetAssemblyUsage")
            .WithSummary("Per layer, how often served traffic selected each attention and MLP expert, its mean gate and share of the layer; summed over assemblies with the same manifest and flush windows ending after 'since'.");
        app.MapPost("/v1/usage/flush", FlushAsync).RequireAuthorization(ApiScopes.Admin)
            .WithTags("Usage").WithName("FlushUsage")
            .WithSummary("Write this node's unflushed usage counts now (e.g. before a pruning job) instead of at the next interval.");
        return app;
    }

    static async Task<Ok<ExpertUsageReport>> GetAsync(ExpertUsageStore store, string name, string version, DateTimeOffset? since,
        CancellationToken ct) =>
        TypedResults.Ok(await store.GetAsync(new AssemblyRef(name, version), since, ct));

    static async Task<Ok<UsageFlushResult>> FlushAsync(UsageFlusher flusher, CancellationToken ct) =>
        TypedResults.Ok(await flusher.FlushAsync(ct));
}
