using System.Globalization;
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

    /// <summary>The caller's key id (<see cref="Guid.Empty"/> for the bootstrap admin key).</summary>
    public static Guid KeyId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value, out var id) ? id : Guid.Empty;

    /// <summary>The caller's own rate limits (null where the configured default applies).</summary>
    public static KeyRateLimits OwnRateLimits(this ClaimsPrincipal user) =>
        new(IntClaim(user, ApiKeyAuthenticationHandler.RequestsPerMinuteClaim), IntClaim(user, ApiKeyAuthenticationHandler.TokensPerMinuteClaim));

    static int? IntClaim(ClaimsPrincipal user, string type) =>
        int.TryParse(user.FindFirst(type)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The actor recorded in the audit log: the key's name and id, never the secret.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        $"{user.Identity?.Name ?? "anonymous"} ({user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value ?? "-"})";
}
