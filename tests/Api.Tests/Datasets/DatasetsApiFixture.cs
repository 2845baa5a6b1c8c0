using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Datasets;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry.Data;
using Npgsql;
using Xunit;

namespace ModuleService.Api.Tests.Datasets;

/// <summary>
/// The real app (<see cref="ModuleServiceFactory"/>) on a database of its own, with a 100 kB upload limit. Two
/// TEMPORARY bridges, each a no-op once the real thing exists: <see cref="MapDatasetsUntilProgramDoes"/> (until
/// Program.cs calls MapDatasets) and <see cref="DatasetTestSchema"/> (until the datasets migration exists).
/// </summary>
public sealed class DatasetsApiFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public const long UploadLimit = 100_000;
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
        factory = baseFactory.WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Datasets:MaxUploadBytes", UploadLimit.ToString());
            builder.ConfigureServices(services => services.AddTransient<IStartupFilter, MapDatasetsUntilProgramDoes>());
        });
        Admin = Client(bootstrapKey);   // starts the host, which migrates
        (await Admin.GetAsync("/readyz")).EnsureSuccessStatusCode();
        await using var scope = factory.Services.CreateAsyncScope();
        await DatasetTestSchema.EnsureAsync(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
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
        foreach (var table in ModuleService.Migrations.ImmutableRows.Tables.Concat(DatasetTestSchema.Tables))
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    sealed record CreatedKey(string Secret);

    /// <summary>Maps the datasets endpoints into the app's own route builder unless Program.cs already did.</summary>
    sealed class MapDatasetsUntilProgramDoes : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            // The WebApplication itself: its routing middleware builds the matcher from these data sources on the first request.
            var routes = (IEndpointRouteBuilder)app.Properties["__EndpointRouteBuilder"]!;
            if (!routes.DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
                    .Any(e => e.RoutePattern.RawText?.StartsWith("/v1/datasets", StringComparison.Ordinal) == true))
                routes.MapDatasets();
        };
    }
}
