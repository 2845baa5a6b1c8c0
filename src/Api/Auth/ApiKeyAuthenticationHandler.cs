using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>. The key is looked up by its hash; the bootstrap admin key from
/// configuration is accepted as-is. Keys are never logged: failures say only "unknown or revoked key".
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, ApiKeyStore keys, IOptionsMonitor<AuthOptions> auth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";
    /// <summary>A key's own rate limits, present only where set (read with the key, so no second query).</summary>
    public const string RequestsPerMinuteClaim = "rate_limit_requests_per_minute", TokensPerMinuteClaim = "rate_limit_tokens_per_minute";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("the Authorization header must be 'Bearer <key>'");
        var secret = header["Bearer ".Length..].Trim();

        var bootstrap = auth.CurrentValue.BootstrapAdminKey;
        if (!string.IsNullOrEmpty(bootstrap) && FixedTimeEquals(secret, bootstrap))
            return Success(new ApiPrincipal(Guid.Empty, "bootstrap-admin", [ApiScopes.Admin], KeyRateLimits.Defaults));

        var principal = await keys.AuthenticateAsync(secret, Context.RequestAborted);
        return principal is null ? AuthenticateResult.Fail("unknown or revoked key") : Success(principal);
    }

    AuthenticateResult Success(ApiPrincipal key)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, key.Name), new(KeyIdClaim, key.KeyId.ToString()) };
        claims.AddRange(key.Scopes.Select(s => new Claim(ScopeClaim, s)));
        if (key.RateLimits.RequestsPerMinute is int requests)
            claims.Add(new Claim(RequestsPerMinuteClaim, requests.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        if (key.RateLimits.TokensPerMinute is int tokens)
            claims.Add(new Claim(TokensPerMinuteClaim, tokens.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
