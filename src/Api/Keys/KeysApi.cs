using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Api.Auth;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Keys;

/// <summary>API keys (admin). The secret is shown once, in the creation response; only its hash is stored.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization(ApiScopes.Admin);
        group.MapPost("/", CreateAsync).WithName("CreateKey").WithSummary("Create an API key with scopes read, infer, train and/or admin.")
            .ProducesValidationProblem();
        group.MapGet("/", ListAsync).WithName("ListKeys").WithSummary("List keys (never their secrets).");
        group.MapPost("/{id:guid}/revoke", RevokeAsync).WithName("RevokeKey").WithSummary("Revoke a key; it stops working at once.");
        return app;
    }

    static async Task<Results<Created<CreatedKey>, ValidationProblem>> CreateAsync(CreateKeyRequest request, ApiKeyStore keys,
        HttpContext context, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100) errors["name"] = ["required, at most 100 characters"];
        if (request.Scopes is not { Count: > 0 }) errors["scopes"] = [$"at least one of {string.Join(", ", ApiScopes.All)}"];
        // A null entry ("scopes": [null]) is as unknown as a misspelt one.
        else if (request.Scopes.Select(s => s ?? "null").FirstOrDefault(s => !ApiScopes.All.Contains(s)) is string unknown)
            errors["scopes"] = [$"unknown scope '{unknown}'; known: {string.Join(", ", ApiScopes.All)}"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var (key, secret) = await keys.CreateAsync(request.Name!, request.Scopes!, context.User.Actor(), ct);
        return TypedResults.Created($"/v1/keys/{key.Id}", new CreatedKey(key, secret));
    }

    static async Task<Ok<IReadOnlyList<ApiKeyInfo>>> ListAsync(ApiKeyStore keys, bool? includeRevoked, CancellationToken ct) =>
        TypedResults.Ok(await keys.ListAsync(includeRevoked ?? false, ct));

    static async Task<Ok<ApiKeyInfo>> RevokeAsync(ApiKeyStore keys, Guid id, HttpContext context, CancellationToken ct) =>
        TypedResults.Ok(await keys.RevokeAsync(id, context.User.Actor(), ct));
}

public sealed record CreateKeyRequest(string? Name, IReadOnlyList<string>? Scopes);

/// <param name="Secret">the key to send as <c>Authorization: Bearer …</c>; it cannot be shown again.</param>
public sealed record CreatedKey(ApiKeyInfo Key, string Secret);
