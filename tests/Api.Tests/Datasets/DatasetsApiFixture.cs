using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using ModuleService.Api.Tests.Support;
using Npgsql;
using Xunit;

namespace ModuleService.Api.Tests.Datasets;

/// <summary>
/// The real app (<see cref="ModuleServiceFactory"/>) on a database of its own, as <see cref="ApiFixture"/> has it,
/// but with a 100 kB upload limit (Datasets:MaxUploadBytes) so that 413 is cheap to reach.
/// </summary>
public sealed class DatasetsApiFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public const long UploadLimit = 100_000;
    static readonly string[] DatasetTables = ["datasets", "dataset_statistics"];
    readonly TempDir cache = new("modsvc-apitest-cache-");
    readonly string bootstrapKey = "bootstrap-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    ModuleServiceFactory? baseFactory;
    WebApplicationFactory<Program>? factory;

    public string ConnectionString { get; private set; } = "";
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await postgres.CreateDatabaseAsync("datasets");
        baseFactory = new ModuleServiceFactory(ConnectionString, bootstrapKey, cache.Path);
        factory = baseFactory.WithWebHostBuilder(builder => builder.UseSetting("Datasets:MaxUploadBytes", UploadLimit.ToString()));
        Admin = Client(bootstrapKey);   // starts the host, which migrates
        (await Admin.GetAsync("/readyz")).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (factory is not null) await factory.DisposeAsync();
        if (baseFactory is not null) await baseFactory.DisposeAsync();
        cache.Dispose();
    }

    public HttpClient Client(string? key = null)
    {
        var client = factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A client with a new key of the given scopes (created through <c>POST /v1/keys</c>).</summary>
    public async Task<HttpClient> ClientWithScopesAsync(params string[] scopes)
    {
        var response = await Admin.PostAsJsonAsync("/v1/keys", new { name = "datasets-" + string.Join("-", scopes), scopes }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Client((await response.Content.ReadFromJsonAsync<CreatedKey>(ApiJson.Options))!.Secret);
    }

    /// <summary>Row counts of the registry and datasets tables, to prove that a refused upload wrote nothing.</summary>
    public async Task<Dictionary<string, long>> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in ModuleService.Migrations.ImmutableRows.Tables.Concat(DatasetTables))
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    sealed record CreatedKey(string Secret);
}
