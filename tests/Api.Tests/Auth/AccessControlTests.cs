using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Auth;

/// <summary>
/// Every endpoint against every kind of caller: nobody, a revoked or unknown key, a key without the scope, a key
/// with exactly the scope, and admin (which satisfies every scope).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AccessControlTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    static readonly string[] AllScopes = ["read", "infer", "train", "admin"];

    [Fact]
    public void EveryMappedEndpoint_IsInTheTable_AndEveryRowIsMapped()
    {
        var mapped = EndpointTable.Mapped(api.Factory.Services.GetRequiredService<EndpointDataSource>())
            .Where(e => !EndpointTable.IsInternal(e.Template))
            .Select(e => $"{e.Method} {e.Template}").ToHashSet();
        var table = EndpointTable.All.Where(e => !EndpointTable.IsInternal(e.Template)).Select(e => e.ToString()).ToHashSet();

        Assert.True(mapped.Except(table).Order().ToList() is [], $"endpoints without an access-control row: {string.Join(", ", mapped.Except(table).Order())}");
        Assert.True(table.Except(mapped).Order().ToList() is [], $"table rows the app does not map: {string.Join(", ", table.Except(mapped).Order())}");
    }

    [Theory]
    [MemberData(nameof(EndpointTable.Cases), MemberType = typeof(EndpointTable))]
    public async Task Endpoint_RequiresItsScope(EndpointCase endpoint)
    {
        if (endpoint.Scope is null)
        {
            await AssertAllowedAsync(endpoint, null);
            return;
        }
        Assert.Contains(endpoint.Scope, AllScopes);
        var exact = await api.SharedKeyAsync($"only-{endpoint.Scope}", endpoint.Scope);
        var lacking = await api.SharedKeyAsync($"all-but-{endpoint.Scope}", AllScopes.Where(s => s != endpoint.Scope && s != "admin").ToArray());
        var revoked = await RevokedAdminKeyAsync();

        await AssertStatusAsync(endpoint, null, HttpStatusCode.Unauthorized);
        await AssertStatusAsync(endpoint, new AuthenticationHeaderValue("Bearer", revoked.Secret), HttpStatusCode.Unauthorized);
        await AssertStatusAsync(endpoint, new AuthenticationHeaderValue("Bearer", "msk_" + Guid.NewGuid().ToString("N")), HttpStatusCode.Unauthorized);
        await AssertStatusAsync(endpoint, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + api.BootstrapKey))), HttpStatusCode.Unauthorized);
        await AssertStatusAsync(endpoint, new AuthenticationHeaderValue("Bearer", lacking.Secret), HttpStatusCode.Forbidden);
        await AssertAllowedAsync(endpoint, exact.Secret);
        await AssertAllowedAsync(endpoint, api.BootstrapKey);
    }

    [Fact]
    public async Task RevokedKey_StopsWorkingAtOnce()
    {
        var key = await api.CreateKeyAsync("short-lived", "read");
        using var client = api.Client(key.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/assemblies")).StatusCode);

        await api.RevokeKeyAsync(key.Id);

        await (await client.GetAsync("/v1/assemblies")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        await (await api.Admin.PostAsync($"/v1/keys/{key.Id}/revoke", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task CreatingAKeyWithAnUnknownScope_Is400NamingScopes()
    {
        var problem = await (await api.Admin.PostJsonAsync("/v1/keys", new { name = "x", scopes = new[] { "read", "root" } })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(["scopes"], problem.Errors.Keys);
        Assert.Contains("root", problem.Errors["scopes"][0]);
    }

    [Fact]
    public async Task Secrets_AreNeverLoggedNorListed()
    {
        var key = await api.CreateKeyAsync("logged-key", "read", "train");
        var revoked = await RevokedAdminKeyAsync();
        var unknown = "msk_" + Guid.NewGuid().ToString("N");
        // Every endpoint, the dashboard and Swagger included, with a scoped, a revoked, an unknown and the admin key.
        foreach (var secret in new[] { key.Secret, revoked.Secret, unknown, api.BootstrapKey })
            foreach (var endpoint in EndpointTable.All)
                (await SendAsync(endpoint, new AuthenticationHeaderValue("Bearer", secret))).Dispose();
        var keys = await (await api.Admin.GetAsync("/v1/keys?includeRevoked=true")).Content.ReadAsStringAsync();

        var logs = api.Logs.Text;
        Assert.Contains("unknown or revoked key", logs);   // the capture sees authentication failures
        foreach (var secret in api.Secrets.Append(unknown))
        {
            Assert.DoesNotContain(secret, logs);
            Assert.DoesNotContain(secret, keys);
        }
        Assert.Contains(key.Secret[..12], keys);   // keys are listed by their prefix
    }

    Task<TestKey> RevokedAdminKeyAsync() => api.SharedRevokedKeyAsync("revoked-admin", "admin");

    async Task AssertStatusAsync(EndpointCase endpoint, AuthenticationHeaderValue? authorization, HttpStatusCode expected)
    {
        using var response = await SendAsync(endpoint, authorization);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{endpoint} with {authorization?.Scheme ?? "no"} credentials: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    async Task AssertAllowedAsync(EndpointCase endpoint, string? key)
    {
        using var response = await SendAsync(endpoint, key is null ? null : new AuthenticationHeaderValue("Bearer", key));
        var status = (int)response.StatusCode;
        Assert.True(status is not (401 or 403) && status < 500,
            $"{endpoint} with {(key is null ? "no key" : "a key with the scope")}: got {status} {await response.Content.ReadAsStringAsync()}");
    }

    async Task<HttpResponseMessage> SendAsync(EndpointCase endpoint, AuthenticationHeaderValue? authorization)
    {
        using var client = api.Client();
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), endpoint.Url);
        request.Headers.Authorization = authorization;
        if (endpoint.Method is "POST" or "PUT") request.Content = new StringContent(endpoint.Body, Encoding.UTF8, endpoint.ContentType);
        return await client.SendAsync(request);
    }
}
