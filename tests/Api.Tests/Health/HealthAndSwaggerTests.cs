using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Health;
using ModuleService.Api.Tests.Auth;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Health;

[Collection(ApiCollection.Name)]
public sealed class HealthAndSwaggerTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Healthz_Is200WithoutAKey()
    {
        using var anonymous = api.Client();

        var health = await (await anonymous.GetAsync("/healthz")).ShouldBeAsync<HealthStatus>(HttpStatusCode.OK);

        Assert.Equal("ok", health.Status);
    }

    [Fact]
    public async Task Readyz_IsReadyOnAMigratedDatabase()
    {
        using var anonymous = api.Client();

        var ready = await (await anonymous.GetAsync("/readyz")).ShouldBeAsync<HealthStatus>(HttpStatusCode.OK);

        Assert.Equal(("ready", null), (ready.Status, ready.Reason));
    }

    [Fact]
    public async Task SwaggerJson_DocumentsEveryEndpointWithASummary()
    {
        using var anonymous = api.Client();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/swagger/v1/swagger.json"))!.AsObject();
        var paths = document["paths"]!.AsObject();
        var documented = paths.SelectMany(path => path.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {path.Key.TrimEnd('/')}")).ToHashSet();

        var mapped = EndpointTable.Mapped(api.Factory.Services.GetRequiredService<EndpointDataSource>())
            .Where(e => !EndpointTable.IsInternal(e.Template)).ToList();

        Assert.NotEmpty(mapped);
        foreach (var (method, template) in mapped)
        {
            Assert.Contains($"{method} {template}", documented);
            var operation = paths.Single(p => p.Key.TrimEnd('/') == template).Value![method.ToLowerInvariant()]!;
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]), $"{method} {template} has no summary");
        }
    }

    [Fact]
    public async Task SwaggerJson_HasABearerSecuritySchemeRequiredByTheDocument()
    {
        using var anonymous = api.Client();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/swagger/v1/swagger.json"))!;

        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        var (name, scheme) = Assert.Single(schemes);
        Assert.Equal(("http", "bearer"), ((string?)scheme!["type"], (string?)scheme["scheme"]));
        var requirement = Assert.Single(document["security"]!.AsArray());
        Assert.Contains(name, requirement!.AsObject().Select(r => r.Key));
    }

    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        using var anonymous = api.Client();

        var response = await anonymous.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
