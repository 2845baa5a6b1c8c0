using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModuleService.Api.Auth;
using ModuleService.Api.RateLimiting;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Keys;

/// <summary>API keys (admin). The secret is shown once, in the creation response; only its hash is stored.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization(ApiScopes.Admin);
        group.MapPost("/", CreateAsync).WithName("CreateKey")
            .WithSummary("Create an API key with scopes read, infer, train and/or admin, and optionally its own rate limits.")
            .ProducesValidationProblem();
        group.MapGet("/", ListAsync).WithName("ListKeys").WithSummary("List keys (never their secrets) with their rate limits.");
        group.MapPost("/{id:guid}/revoke", RevokeAsync).WithName("RevokeKey").WithSummary("Revoke a key; it stops working at once.");
        group.MapPut("/{id:guid}/rate-limits", SetRateLimitsAsync).WithName("SetKeyRateLimits")
            .WithSummary("Replace a key's own rate limits (null = the configured default, 0 = unlimited); effective from its next request.")
            .ProducesValidationProblem();
        return app;
    }

    static async Task<Results<Created<CreatedKey>, ValidationProblem>> CreateAsync(CreateKeyRequest request, ApiKeyStore keys,
        IOptions<RateLimitOptions> defaults, HttpContext context, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100) errors["name"] = ["required, at most 100 characters"];
        if (request.Scopes is not { Count: > 0 }) errors["scopes"] = [$"at least one of {string.Join(", ", ApiScopes.All)}"];
        // A null entry ("scopes": [null]) is as unknown as a misspelt one.
        else if (request.Scopes.Select(s => s ?? "null").FirstOrDefault(s => !ApiScopes.All.Contains(s)) is string unknown)
            errors["scopes"] = [$"unknown scope '{unknown}'; known: {string.Join(", ", ApiScopes.All)}"];
        request.RateLimits?.Validate(errors, "rateLimits.");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var (key, secret) = await keys.CreateAsync(request.Name!, request.Scopes!, request.RateLimits?.ToRegistry() ?? KeyRateLimits.Defaults,
            context.User.Actor(), ct);
        return TypedResults.Created($"/v1/keys/{key.Id}", new CreatedKey(key.AsResponse(defaults.Value), secret));
    }

    static async Task<Ok<List<KeyResponse>>> ListAsync(ApiKeyStore keys, IOptions<RateLimitOptions> defaults, bool? includeRevoked,
        CancellationToken ct) =>
        TypedResults.Ok((await keys.ListAsync(includeRevoked ?? false, ct)).Select(k => k.AsResponse(defaults.Value)).ToList());

    static async Task<Ok<KeyResponse>> RevokeAsync(ApiKeyStore keys, IOptions<RateLimitOptions> defaults, Guid id, HttpContext context,
        CancellationToken ct) =>
        TypedResults.Ok((await keys.RevokeAsync(id, context.User.Actor(), ct)).AsResponse(defaults.Value));

    static async Task<Results<Ok<KeyResponse>, ValidationProblem>> SetRateLimitsAsync(ApiKeyStore keys, IOptions<RateLimitOptions> defaults,
        Guid id, RateLimitSettings request, HttpContext context, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        request.Validate(errors, "");
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok((await keys.SetRateLimitsAsync(id, request.ToRegistry(), context.User.Actor(), ct)).AsResponse(defaults.Value));
    }
}
