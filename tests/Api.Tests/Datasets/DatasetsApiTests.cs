using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Stages;
using Xunit;

namespace ModuleService.Api.Tests.Datasets;

/// <summary>Datasets over HTTP: upload (raw and multipart), list, get, download, archive, access and refusals.</summary>
[Collection(ApiCollection.Name)]
public sealed class DatasetsApiTests(DatasetsApiFixture api) : IClassFixture<DatasetsApiFixture>
{
    [Fact]
    public async Task UploadListGetDownload_EndToEnd()
    {
        var trainer = await api.ClientWithScopesAsync("train", "read");
        var name = Unique("corpus");
        var text = $"first document {Guid.NewGuid()}\nline two\n\nsecond document\n";

        var response = await trainer.PostAsync($"/v1/datasets?name={name}&format=text", new StringContent(text, Encoding.UTF8, "text/plain"));

        var created = await response.ShouldBeAsync<DatasetView>(HttpStatusCode.Created);
        Assert.Equal((name, DatasetFormat.Text, 2L, (long)Encoding.UTF8.GetByteCount(text), Stage.Active),
            (created.Name, created.Format, created.Documents, created.Bytes, created.Stage));
        Assert.StartsWith("datasets-train-read (", created.CreatedBy);
        Assert.Equal($"/v1/datasets/{created.Id}", response.Headers.Location?.OriginalString);

        var page = await (await trainer.GetAsync($"/v1/datasets?name={name}")).ShouldBeAsync<Page<DatasetView>>(HttpStatusCode.OK);
        Assert.Equal(created.Id, Assert.Single(page.Items).Id);
        Assert.Equal(created.Id, (await (await trainer.GetAsync($"/v1/datasets/{name}")).ShouldBeAsync<DatasetView>(HttpStatusCode.OK)).Id);

        var download = await trainer.GetAsync($"/v1/datasets/{created.Id}/download");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(text, await download.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"\"{created.Sha256}\"", download.Headers.ETag?.Tag);

        // The same bytes again (gzipped, as multipart this time) are the same dataset: 200, not 201.
        var again = await trainer.PostAsync($"/v1/datasets?name={Unique("again")}&format=text", Multipart(GzipBytes.Of(Encoding.UTF8.GetBytes(text)), "corpus.txt.gz"));
        Assert.Equal(created.Id, (await again.ShouldBeAsync<DatasetView>(HttpStatusCode.OK)).Id);
    }

    [Fact]
    public async Task GzipRawBodyWithContentEncoding_IsStoredDecompressed()
    {
        var trainer = await api.ClientWithScopesAsync("train");
        var jsonl = Encoding.UTF8.GetBytes($"{{\"text\": \"{Guid.NewGuid()}\"}}\n{{\"text\": \"b\"}}\n");
        var content = new ByteArrayContent(GzipBytes.Of(jsonl));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        content.Headers.ContentEncoding.Add("gzip");

        var created = await (await trainer.PostAsync($"/v1/datasets?name={Unique("gz")}&format=jsonl", content)).ShouldBeAsync<DatasetView>(HttpStatusCode.Created);

        Assert.Equal((2L, (long)jsonl.Length), (created.Documents, created.Bytes));
        Assert.Equal(jsonl, await (await api.Admin.GetAsync($"/v1/datasets/{created.Id}/download")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ABadJsonlLine_Is422NamingTheLineAndWritesNothing()
    {
        var trainer = await api.ClientWithScopesAsync("train");
        var before = await api.CountRowsAsync();

        var response = await trainer.PostAsync($"/v1/datasets?name={Unique("bad")}&format=jsonl", Multipart(Encoding.UTF8.GetBytes("{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n"), "bad.jsonl"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("line 2", problem.Target);
        Assert.Contains("\"text\"", problem.Detail);
        Assert.Equal(before, await api.CountRowsAsync());
    }

    [Fact]
    public async Task AnUploadOverTheLimit_Is413AndWritesNothing()
    {
        var trainer = await api.ClientWithScopesAsync("train");
        var before = await api.CountRowsAsync();
        var big = Encoding.UTF8.GetBytes(new string('x', (int)DatasetsApiFixture.UploadLimit + 1));

        var declared = await trainer.PostAsync($"/v1/datasets?name={Unique("big")}&format=text", new ByteArrayContent(big));
        var streamed = await trainer.PostAsync($"/v1/datasets?name={Unique("big")}&format=text", Multipart(big, "big.txt"));

        Assert.Contains("Datasets:MaxUploadBytes", (await declared.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge)).Detail);
        await streamed.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await api.CountRowsAsync());
    }

    [Fact]
    public async Task MissingNameFormatOrFile_Is400NamingThem()
    {
        var trainer = await api.ClientWithScopesAsync("train");

        var noQuery = await (await trainer.PostAsync("/v1/datasets?format=csv", new StringContent("x"))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var noFile = await (await trainer.PostAsync($"/v1/datasets?name={Unique("nofile")}&format=text",
            new MultipartFormDataContent { { new StringContent("just a field"), "comment" } })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(["format", "name"], noQuery.Errors.Keys.Order());
        Assert.Equal(["file"], noFile.Errors.Keys);
    }

    [Fact]
    public async Task AccessNeedsAKeyWithTheScope()
    {
        var reader = await api.ClientWithScopesAsync("read");
        var upload = () => new StringContent("some text");

        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client().PostAsync($"/v1/datasets?name={Unique("anon")}&format=text", upload())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client().GetAsync("/v1/datasets")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync($"/v1/datasets?name={Unique("reader")}&format=text", upload())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync($"/v1/datasets/{Guid.NewGuid()}/archive", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/datasets")).StatusCode);
    }

    [Fact]
    public async Task ArchiveAndRestore_ChangeTheStage()
    {
        var trainer = await api.ClientWithScopesAsync("train", "read");
        var name = Unique("arch");
        await (await trainer.PostAsync($"/v1/datasets?name={name}&format=text", new StringContent($"archive me {Guid.NewGuid()}"))).ShouldBeAsync<DatasetView>(HttpStatusCode.Created);

        var archived = await (await trainer.PostAsync($"/v1/datasets/{name}/archive?reason=old", null)).ShouldBeAsync<StageChange>(HttpStatusCode.OK);
        var hidden = await (await trainer.GetAsync($"/v1/datasets?name={name}")).ShouldBeAsync<Page<DatasetView>>(HttpStatusCode.OK);
        var restored = await (await trainer.PostAsync($"/v1/datasets/{name}/restore", null)).ShouldBeAsync<StageChange>(HttpStatusCode.OK);

        Assert.Equal(Stage.Archived, archived.To);
        Assert.Empty(hidden.Items);
        Assert.Equal(Stage.Active, restored.To);
        await (await trainer.PostAsync($"/v1/datasets/{name}/restore", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AnUnknownDataset_Is404()
    {
        await (await api.Admin.GetAsync("/v1/datasets/nobody")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await api.Admin.GetAsync($"/v1/datasets/{Guid.NewGuid()}/download")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OpenApi_DescribesTheUpload()
    {
        var swagger = await (await api.Admin.GetAsync("/swagger/v1/swagger.json")).Content.ReadAsStringAsync();

        Assert.Contains("\"operationId\": \"UploadDataset\"", swagger);
        Assert.Contains("\"/v1/datasets/{id}/download\"", swagger);
    }

    static string Unique(string prefix) => ApiFixture.UniqueName(prefix);

    static MultipartFormDataContent Multipart(byte[] file, string fileName)
    {
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { new StringContent("ignored"), "comment" }, { content, "file", fileName } };
    }
}
