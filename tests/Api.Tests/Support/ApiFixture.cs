using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc.Testing;
using ModuleService.Api.Imports;
using ModuleService.Api.Keys;
using ModuleService.Registry.Assemblies;
using Npgsql;
using Xunit;

namespace ModuleService.Api.Tests.Support;

/// <summary>
/// Per test class: a database of its own and one running app on it (<see cref="ModuleServiceFactory"/>), an
/// admin client on the bootstrap key, and helpers that go through the HTTP API like any client would.
/// </summary>
public class ApiFixture(PostgresFixture postgres) : IAsyncLifetime
{
    readonly TempDir cache = new("modsvc-apitest-cache-");
    readonly ConcurrentQueue<string> secrets = new();
    readonly ConcurrentDictionary<string, Lazy<Task<TestKey>>> sharedKeys = new();

    public string BootstrapKey { get; } = "bootstrap-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    /// <summary>Configuration overrides for the app, set before <see cref="InitializeAsync"/>.</summary>
    public Dictionary<string, string?> Settings { get; } = [];
    public ModuleServiceFactory Factory { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    /// <summary>Authenticated with the bootstrap admin key.</summary>
    public HttpClient Admin { get; private set; } = null!;
    public LogCapture Logs => Factory.Logs;
    /// <summary>The app's node-local blob cache (Registry:CacheDirectory).</summary>
    public string CacheDirectory => cache.Path;
    /// <summary>Every secret this class's app has seen: the bootstrap key and all keys created through the API.</summary>
    public IReadOnlyList<string> Secrets => [BootstrapKey, .. secrets];

    /// <summary>Configuration on top of the test defaults, for fixtures that need the app set up differently.</summary>
    protected virtual IReadOnlyDictionary<string, string?> FixtureSettings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await postgres.CreateDatabaseAsync("api");
        var settings = new Dictionary<string, string?>(FixtureSettings);
        foreach (var (key, value) in Settings) settings[key] = value;
        Factory = new ModuleServiceFactory(ConnectionString, BootstrapKey, cache.Path, settings);
        Admin = Client(BootstrapKey);   // starts the host: migrations, Hangfire schema, Hangfire server
        (await Admin.GetAsync("/readyz")).EnsureSuccessStatusCode();
    }

    public virtual async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (Factory is not null) await Factory.DisposeAsync();
        cache.Dispose();
    }

    /// <summary>A client sending <c>Authorization: Bearer key</c>, or no header for a null key.</summary>
    public HttpClient Client(string? key = null)
    {
        var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates a key through <c>POST /v1/keys</c> (as the bootstrap admin).</summary>
    public async Task<TestKey> CreateKeyAsync(string name, params string[] scopes)
    {
        var response = await Admin.PostAsJsonAsync("/v1/keys", new { name, scopes }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedKey>(ApiJson.Options))!;
        secrets.Enqueue(created.Secret);
        return new TestKey(created.Key.Id, created.Key.Name, created.Secret, created.Key.Scopes);
    }

    /// <summary>A key created once per class and reused, e.g. "a key with only the read scope".</summary>
    public Task<TestKey> SharedKeyAsync(string name, params string[] scopes) =>
        sharedKeys.GetOrAdd(name, _ => new Lazy<Task<TestKey>>(() => CreateKeyAsync(name, scopes))).Value;

    /// <summary>A key created and revoked once per class.</summary>
    public Task<TestKey> SharedRevokedKeyAsync(string name, params string[] scopes) =>
        sharedKeys.GetOrAdd(name, _ => new Lazy<Task<TestKey>>(async () =>
        {
            var key = await CreateKeyAsync(name, scopes);
            await RevokeKeyAsync(key.Id);
            return key;
        })).Value;

    public async Task RevokeKeyAsync(Guid id) =>
        Assert.Equal(HttpStatusCode.OK, (await Admin.PostAsync($"/v1/keys/{id}/revoke", null)).StatusCode);

    /// <summary>Imports a server folder through <c>POST /v1/imports</c> (JSON body); expects 200 or 201.</summary>
    public async Task<ImportResponse> ImportAsync(string folder, string name, HttpClient? client = null)
    {
        var response = await (client ?? Admin).PostAsJsonAsync("/v1/imports", new { path = folder, name }, ApiJson.Options);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
            $"import of {folder} gave {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ImportResponse>(ApiJson.Options))!;
    }

    public Task<AssemblyDetail> GetAssemblyAsync(string name, string version = "latest") =>
        GetAsync<AssemblyDetail>($"/v1/assemblies/{name}/versions/{version}");

    /// <summary>GET as admin, expecting 200.</summary>
    public async Task<T> GetAsync<T>(string url, HttpClient? client = null)
    {
        var response = await (client ?? Admin).GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url} gave {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options))!;
    }

    /// <summary>Row count of every registry table, to prove that a failed request wrote nothing.</summary>
    public async Task<Dictionary<string, long>> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in ModuleService.Migrations.ImmutableRows.Tables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    /// <summary>An assembly name no other test of the class uses.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}

public sealed record TestKey(Guid Id, string Name, string Secret, IReadOnlyList<string> Scopes);
