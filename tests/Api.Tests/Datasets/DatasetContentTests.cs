using System.Net;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Datasets;

/// <summary>
/// Issue #8: dataset content that is not what its format says — invalid UTF-8, broken JSONL — is refused over HTTP
/// with a 422 naming the line, raw or multipart, plain or gzip, and nothing is stored.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DatasetContentTests(DatasetsApiFixture api) : IClassFixture<DatasetsApiFixture>
{
    public static TheoryData<string, byte[], string> BadContent() => new()
    {
        { "text", [.. "fine\n\nbad: "u8, 0xC3, 0x28, .. "\n"u8], "line 3" },                   // a lead byte without its continuation
        { "text", [.. "fine\n"u8, 0xED, 0xA0, 0x80, .. "\n"u8], "line 2" },                    // an encoded UTF-16 surrogate
        { "text", [.. "fine\n"u8, 0xC0, 0xAF, .. "\n"u8], "line 2" },                          // an overlong '/'
        { "text", [.. "fine\n"u8, 0xFF, 0xFE, .. "\n"u8], "line 2" },
        { "jsonl", [.. "{\"text\": \"ok\"}\n{\"text\": \""u8, 0xFF, .. "\"}\n"u8], "line 2" },
        { "jsonl", "{\"text\": \"ok\"}\n{\"text\": \"a\"\n"u8.ToArray(), "line 2" },             // truncated object
        { "jsonl", "{\"text\": \"ok\"}\n[\"text\"]\n"u8.ToArray(), "line 2" },
        { "jsonl", "{\"text\": \"ok\"}\n{\"text\": 5}\n"u8.ToArray(), "line 2" },
        { "jsonl", "{\"text\": \"ok\"}\n{\"text\": \"a\"} trailing\n"u8.ToArray(), "line 2" },
        { "jsonl", "{\"text\": \"ok\"}\n{\"text\": \"\\ud800\"}\n"u8.ToArray(), "line 2" },    // a lone surrogate escape
        { "jsonl", "{\"text\": \"ok\"}\n{\"text\": \"a\", \"text\": \"b\"}\n"u8.ToArray(), "line 2" },
    };

    [Theory]
    [MemberData(nameof(BadContent))]
    public async Task ContentThatIsNotItsFormat_Is422NamingTheLine_AndStoresNothing(string format, byte[] content, string line)
    {
        var before = await api.CountRowsAsync();
        var name = ApiFixture.UniqueName("bad");
        var gzipped = new ByteArrayContent(GzipBytes.Of(content));
        gzipped.Headers.ContentEncoding.Add("gzip");
        var multipart = new MultipartFormDataContent { { new ByteArrayContent(content), "file", "bad.txt" } };

        foreach (var body in new HttpContent[] { new ByteArrayContent(content), gzipped, multipart })
        {
            var problem = await (await api.Admin.PostAsync($"/v1/datasets?name={name}&format={format}", body)).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
            Assert.Equal(line, problem.Target);
        }
        Assert.Equal(before, await api.CountRowsAsync());
    }
}
