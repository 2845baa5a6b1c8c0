using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Auth;

public static class AuthExtensions
{
    /// <summary>API-key authentication and one policy per scope (an admin key satisfies every policy).</summary>
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName);
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().SetFallbackPolicy(null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in ApiScopes.All)
            authorization.AddPolicy(scope, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.HasScope(scope)));
        return services;
    }

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.FindAll(ApiKeyAuthenticationHandler.ScopeClaim).Any(c => c.Value == scope || c.Value == ApiScopes.Admin);

    /// <summary>The actor recorded in the audit log: the key's name and id, never the secret.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        $"{user.Identity?.Name ?? "anonymous"} ({user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value ?? "-"})";
}
