using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModuleService.Api.Imports;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Checkpoints;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Modules;
using Xunit;

namespace ModuleService.Api.Tests.Imports;

[Collection(ApiCollection.Name)]
public sealed class ImportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData(Checkpoints.Tiny)]
    [InlineData(Checkpoints.MolmLike)]
    public async Task JsonPathImport_CreatesVersion1WithEveryModule(string fixture)
    {
        var name = ApiFixture.UniqueName("json");

        var response = await api.Admin.PostJsonAsync("/v1/imports", new { path = Checkpoints.Fixture(fixture), name });

        var imported = await response.ShouldBeAsync<ImportResponse>(HttpStatusCode.Created);
        Assert.Equal((name, 1, Checkpoints.ModulesPerFixture, true), (imported.Name, imported.Version, imported.Modules, imported.Created));
        Assert.Matches("^[0-9a-f]{64}$", imported.ManifestHash);
        Assert.Equal($"/v1/assemblies/{name}/versions/1", response.Headers.Location?.OriginalString);
        var detail = await api.GetAssemblyAsync(name);
        Assert.Equal((imported.ManifestHash, 4, 8), (detail.Summary.ManifestHash, detail.AttentionExperts, detail.MlpExperts));
    }

    [Fact]
    public async Task ReimportingTheSameCheckpoint_Returns200WithCreatedFalseAndTheSameVersion()
    {
        var name = ApiFixture.UniqueName("again");
        var first = await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name);
        var before = await api.CountRowsAsync();

        var response = await api.Admin.PostJsonAsync("/v1/imports", new { path = Checkpoints.Fixture(Checkpoints.Tiny), name });

        var second = await response.ShouldBeAsync<ImportResponse>(HttpStatusCode.OK);
        Assert.Equal((name, first.Version, first.ManifestHash, false), (second.Name, second.Version, second.ManifestHash, second.Created));
        Assert.Equal((0, 0), (second.NewModuleVersions, second.NewBlobs));
        Assert.Equal(before, await api.CountRowsAsync());
    }

    [Fact]
    public async Task MultipartUploadOfATar_Creates()
    {
        using var folder = Checkpoints.Copy(Checkpoints.MolmLike);
        var name = ApiFixture.UniqueName("multi");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(name), "name" },
            { TarContent(Checkpoints.Tar(folder.Path)), "file", "checkpoint.tar" },
        };

        var response = await api.Admin.PostAsync("/v1/imports", form);

        var imported = await response.ShouldBeAsync<ImportResponse>(HttpStatusCode.Created);
        Assert.Equal((name, 1, Checkpoints.ModulesPerFixture), (imported.Name, imported.Version, imported.Modules));
        Assert.Equal(imported.ManifestHash, (await api.GetAssemblyAsync(name)).Summary.ManifestHash);
    }

    [Fact]
    public async Task MultipartUploadWithoutAFile_Is400NamingTheField()
    {
        using var form = new MultipartFormDataContent { { new StringContent("nofile"), "name" } };

        var problem = await (await api.Admin.PostAsync("/v1/imports", form)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("file", problem.Errors.Keys);
    }

    [Fact]
    public async Task RawTarBodyWithNameQuery_Creates()
    {
        using var folder = Checkpoints.Copy(Checkpoints.Tiny);
        var name = ApiFixture.UniqueName("raw");

        var response = await api.Admin.PostAsync($"/v1/imports?name={name}", TarContent(Checkpoints.Tar(folder.Path)));

        var imported = await response.ShouldBeAsync<ImportResponse>(HttpStatusCode.Created);
        Assert.Equal((name, 1, true), (imported.Name, imported.Version, imported.Created));
    }

    [Fact]
    public async Task RawTarBodyWithoutName_Is400NamingTheField()
    {
        using var folder = Checkpoints.Copy(Checkpoints.Tiny);

        var response = await api.Admin.PostAsync("/v1/imports", TarContent(Checkpoints.Tar(folder.Path)));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("name", problem.Errors.Keys);
    }

    [Fact]
    public async Task ATarThatIsNotATar_Is422AndWritesNothing()
    {
        var before = await api.CountRowsAsync();
        var garbage = Encoding.ASCII.GetBytes(new string('x', 1500));

        var response = await api.Admin.PostAsync("/v1/imports?name=garbage", TarContent(garbage));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.False(string.IsNullOrEmpty(problem.Target), problem.Body);
        Assert.Equal(before, await api.CountRowsAsync());
    }

    [Fact]
    public async Task CorruptCheckpoint_Is422NamingTheFileOrTensor_AndWritesNothing()
    {
        using var folder = Checkpoints.Copy(Checkpoints.Tiny);
        var weights = folder.File(CheckpointLoader.SafetensorsFile);
        await using (var file = new FileStream(weights, FileMode.Open))
            file.SetLength(file.Length - 4096);   // cuts the data of the last tensor(s)
        var assemblies = await api.GetAsync<Page<AssemblySummary>>("/v1/assemblies?includeArchived=true");
        var versions = await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions?includeArchived=true");
        var rows = await api.CountRowsAsync();

        var response = await api.Admin.PostJsonAsync("/v1/imports", new { path = folder.Path, name = "corrupt" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(problem.Target);
        var tensorNames = SafetensorsReader.Load(Path.Combine(Checkpoints.Fixture(Checkpoints.Tiny), CheckpointLoader.SafetensorsFile));
        try
        {
            Assert.True(problem.Target == CheckpointLoader.SafetensorsFile || tensorNames.ContainsKey(problem.Target),
                $"target '{problem.Target}' names neither the file nor a tensor");
        }
        finally { Checkpoints.DisposeAll(tensorNames.Values); }
        Assert.Contains(problem.Target, problem.Detail);
        Assert.DoesNotContain(folder.Path, problem.Detail);   // server paths stay out of error messages
        Assert.Equal(assemblies.Total, (await api.GetAsync<Page<AssemblySummary>>("/v1/assemblies?includeArchived=true")).Total);
        Assert.Equal(versions.Total, (await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions?includeArchived=true")).Total);
        Assert.Equal(rows, await api.CountRowsAsync());
        await (await api.Admin.GetAsync("/v1/assemblies/corrupt/versions/latest")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AConfigThatIsNotModuleFormer_Is422NamingConfigJson()
    {
        using var folder = Checkpoints.Copy(Checkpoints.Tiny);
        var config = await File.ReadAllTextAsync(folder.File("config.json"));
        await File.WriteAllTextAsync(folder.File("config.json"), config.Replace("\"k_att\": 2", "\"k_att\": 9"));

        var response = await api.Admin.PostJsonAsync("/v1/imports", new { path = folder.Path, name = "badconfig" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("config.json", problem.Target);
    }

    [Theory]
    [InlineData("{}", new[] { "name", "path" })]
    [InlineData("{\"path\": \"/tmp\"}", new[] { "name" })]
    [InlineData("{\"name\": \"x\"}", new[] { "path" })]
    [InlineData("{\"name\": \"x\", \"path\": \"relative/folder\"}", new[] { "path" })]
    [InlineData("{\"name\": \"bad name!\", \"path\": \"/tmp\"}", new[] { "name" })]
    [InlineData("null", new[] { "name", "path" })]
    public async Task MissingOrInvalidFields_Are400ValidationProblemsNamingThem(string json, string[] fields)
    {
        var response = await api.Admin.PostAsync("/v1/imports", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(fields.Order(), problem.Errors.Keys.Order());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"name\": \"x\", \"path\": }")]
    [InlineData("[1, 2]")]
    [InlineData("{\"name\": 5, \"path\": \"/tmp\"}")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task MalformedJson_Is400NeverA500(string json)
    {
        var response = await api.Admin.PostAsync("/v1/imports", new StringContent(json, Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ABodyOfAnotherMediaType_IsRejectedWithoutA500()
    {
        var response = await api.Admin.PostAsync("/v1/imports", new StringContent("name=x", Encoding.UTF8, "text/plain"));

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    static ByteArrayContent TarContent(byte[] tar)
    {
        var content = new ByteArrayContent(tar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return content;
    }
}
