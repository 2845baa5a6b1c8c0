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
        var (key, secret) = await Keys.CreateAsync("ci", ["read", "Infer", "read"], "admin", default);

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
        var (key, secret) = await Keys.CreateAsync("temp", [ApiScopes.Admin], "admin", default);

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
        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Keys.CreateAsync("x", ["root"], "admin", default));
        Assert.Equal("scopes", error.Target);
    }
}
