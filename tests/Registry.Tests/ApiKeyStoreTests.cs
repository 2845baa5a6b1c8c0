using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Storage;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests;

public sealed class ApiKeyStoreTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    ApiKeyStore Keys => Get<ApiKeyStore>();

    [Fact]
    public async Task CreatedKey_AuthenticatesWithItsScopesAndStoresOnlyAHash()
    {
        var (key, secret) = await Keys.CreateAsync("ci", ["read", "Infer", "read"], KeyRateLimits.Defaults, "admin", default);

        Assert.Equal(["infer", "read"], key.Scopes);
        Assert.StartsWith(key.Prefix, secret);
        var principal = await Keys.AuthenticateAsync(secret, default);
        Assert.NotNull(principal);
        Assert.Equal((key.Id, "ci"), (principal.KeyId, principal.Name));
        Assert.True(principal.HasScope(ApiScopes.Infer));
        Assert.False(principal.HasScope(ApiScopes.Train));
        var stored = Db.ApiKeys.Single(k => k.Id == key.Id);
        Assert.Equal(Sha256Hex.Of(secret), stored.SecretHash);
        Assert.DoesNotContain(secret, stored.SecretHash);
    }

    [Fact]
    public async Task RevokedOrUnknownSecrets_DoNotAuthenticate()
    {
        var (key, secret) = await Keys.CreateAsync("temp", [ApiScopes.Admin], KeyRateLimits.Defaults, "admin", default);

        var revoked = await Keys.RevokeAsync(key.Id, "admin", default);

        Assert.NotNull(revoked.RevokedAt);
        Assert.Null(await Keys.AuthenticateAsync(secret, default));
        Assert.Null(await Keys.AuthenticateAsync(secret + "x", default));
        Assert.Null(await Keys.AuthenticateAsync("", default));
        await Assert.ThrowsAsync<ConflictException>(() => Keys.RevokeAsync(key.Id, "admin", default));
        await Assert.ThrowsAsync<NotFoundException>(() => Keys.RevokeAsync(Guid.NewGuid(), "admin", default));
        Assert.DoesNotContain(await Keys.ListAsync(includeRevoked: false, default), k => k.Id == key.Id);
        Assert.Contains(await Keys.ListAsync(includeRevoked: true, default), k => k.Id == key.Id && k.RevokedBy == "admin");
        var audit = await Audit.ListAsync(new AuditQuery(TargetType.ApiKey, key.Id.ToString()), null, default);
        Assert.Equal(["api_key.revoke", "api_key.create"], audit.Items.Select(e => e.Action));
    }

    [Fact]
    public async Task UnknownScope_IsRejected()
    {
        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Keys.CreateAsync("x", ["root"], KeyRateLimits.Defaults, "admin", default));
        Assert.Equal("scopes", error.Target);
    }

    [Fact]
    public async Task RateLimits_NewestRowWins_AndTravelWithAuthenticationAndListing()
    {
        var (key, secret) = await Keys.CreateAsync("limited", [ApiScopes.Infer], new KeyRateLimits(5, null), "admin", default);
        Assert.Equal(new KeyRateLimits(5, null), key.RateLimits);
        Assert.Equal(new KeyRateLimits(5, null), (await Keys.AuthenticateAsync(secret, default))!.RateLimits);

        // Two changes within one clock tick still order: the database numbers the rows.
        await Keys.SetRateLimitsAsync(key.Id, new KeyRateLimits(7, 1000), "admin", default);
        var updated = await Keys.SetRateLimitsAsync(key.Id, new KeyRateLimits(null, 0), "admin", default);

        Assert.Equal(new KeyRateLimits(null, 0), updated.RateLimits);
        Assert.Equal(new KeyRateLimits(null, 0), (await Keys.AuthenticateAsync(secret, default))!.RateLimits);
        Assert.Equal(new KeyRateLimits(null, 0), (await Keys.ListAsync(false, default)).Single(k => k.Id == key.Id).RateLimits);
        Assert.Equal(3, Db.ApiKeyLimits.Count(l => l.KeyId == key.Id));
        var audit = await Audit.ListAsync(new AuditQuery(TargetType.ApiKey, key.Id.ToString()), null, default);
        Assert.Equal(["api_key.limits", "api_key.limits", "api_key.create"], audit.Items.Select(e => e.Action));
    }

    [Fact]
    public async Task RateLimits_RejectNegatives_RevokedKeys_AndRowRewrites()
    {
        var negative = await Assert.ThrowsAsync<InvalidModuleOperationException>(
            () => Keys.CreateAsync("x", [ApiScopes.Infer], new KeyRateLimits(-1, null), "admin", default));
        Assert.Equal("requestsPerMinute", negative.Target);
        var (key, _) = await Keys.CreateAsync("soon-revoked", [ApiScopes.Infer], KeyRateLimits.Defaults, "admin", default);
        Assert.Empty(Db.ApiKeyLimits.Where(l => l.KeyId == key.Id));   // no override, no row
        await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Keys.SetRateLimitsAsync(key.Id, new KeyRateLimits(1, -5), "admin", default));
        await Assert.ThrowsAsync<NotFoundException>(() => Keys.SetRateLimitsAsync(Guid.NewGuid(), KeyRateLimits.Defaults, "admin", default));
        await Keys.SetRateLimitsAsync(key.Id, new KeyRateLimits(1, 1), "admin", default);
        await Keys.RevokeAsync(key.Id, "admin", default);

        await Assert.ThrowsAsync<ConflictException>(() => Keys.SetRateLimitsAsync(key.Id, new KeyRateLimits(2, 2), "admin", default));
        // Like every registry table, limit rows are append-only, and the database refuses negative limits itself.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ExecuteSqlAsync($"UPDATE api_key_limits SET requests_per_minute = 9 WHERE key_id = '{key.Id}'"));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ExecuteSqlAsync(
            $"INSERT INTO api_key_limits (key_id, requests_per_minute, set_at, set_by) VALUES ('{key.Id}', -1, now(), 'sql')"));
    }
}
