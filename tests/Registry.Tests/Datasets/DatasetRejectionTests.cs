using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>Uploads that are refused: each names what is wrong and where, and leaves no row and no blob behind.</summary>
public sealed class DatasetRejectionTests(PostgresFixture postgres) : DatasetTestBase(postgres)
{
    [Fact]
    public async Task InvalidUtf8_IsRejectedNamingTheLine()
    {
        // Enough valid text first that the bad byte arrives in a later read and after chunks were written.
        byte[] content = [.. Utf8(string.Concat(Enumerable.Repeat("valid line\n", 500))), .. "bad: "u8, 0xC3, 0x28, .. "\nafter\n"u8];

        var error = await RejectedAsync<InvalidModuleOperationException>(UniqueName("utf8"), DatasetFormat.Text, content);

        Assert.Equal("line 501", error.Target);
        Assert.Contains("UTF-8", error.Message);
        Assert.Contains("byte 6", error.Message);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"body\": \"no text\"}", "no \"text\"")]
    [InlineData("{\"text\": 42}", "must be a string")]
    [InlineData("{\"text\": \"a\", \"text\": \"b\"}", "more than one \"text\"")]
    [InlineData("{\"text\": \"a\"} {\"text\": \"b\"}", "not valid JSON")]
    [InlineData("{\"text\": \"a\"", "not valid JSON")]
    public async Task ABadJsonlLine_IsRejectedNamingTheLine(string badLine, string problem)
    {
        var content = Utf8("{\"text\": \"fine\"}\n\n" + badLine + "\n{\"text\": \"never read\"}\n");

        var error = await RejectedAsync<InvalidModuleOperationException>(UniqueName("jsonl"), DatasetFormat.Jsonl, content);

        Assert.Equal("line 3", error.Target);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public async Task AnUploadOverTheLimit_IsRejectedWhileStreaming()
    {
        var content = Utf8(string.Concat(Enumerable.Repeat("0123456789abcdef\n", (int)(UploadLimit / 17) + 10)));

        var error = await RejectedAsync<DatasetTooLargeException>(UniqueName("huge"), DatasetFormat.Text, content);

        Assert.Equal(UploadLimit, error.Limit);
    }

    [Fact]
    public async Task AGzipThatInflatesOverTheLimit_IsRejected()
    {
        var bomb = Gzip(Utf8(new string('a', (int)UploadLimit * 3)));
        Assert.True(bomb.Length < UploadLimit);

        await RejectedAsync<DatasetTooLargeException>(UniqueName("bomb"), DatasetFormat.Text, bomb);
    }

    [Fact]
    public async Task ContentThatIsNotGzipDespiteTheFlag_IsRejected()
    {
        var error = await RejectedAsync<InvalidModuleOperationException>(UniqueName("notgz"), DatasetFormat.Text, Utf8("plain text"), gzip: true);

        Assert.Equal("gzip", error.Target);
    }

    [Theory]
    [InlineData("half the deflate data")]
    [InlineData("the whole trailer")]
    [InlineData("part of the trailer")]
    public async Task ATruncatedGzip_IsRejected(string cut)
    {
        var gzip = Gzip(Utf8(string.Join("\n\n", Enumerable.Range(0, 2000).Select(i => $"document {i} {Guid.NewGuid()}"))));
        var keep = cut switch { "half the deflate data" => gzip.Length / 2, "the whole trailer" => gzip.Length - 8, _ => gzip.Length - 3 };

        var error = await RejectedAsync<InvalidModuleOperationException>(UniqueName("cut"), DatasetFormat.Text, gzip[..keep]);

        Assert.Equal("gzip", error.Target);
    }

    [Fact]
    public async Task GzipWithTrailingBytes_IsRejected()
    {
        byte[] gzip = [.. Gzip(Utf8("one document")), 0, 0, 0, 0];

        Assert.Equal("gzip", (await RejectedAsync<InvalidModuleOperationException>(UniqueName("pad"), DatasetFormat.Text, gzip)).Target);
    }

    [Fact]
    public async Task ADocumentOverTheDocumentLimit_IsRejectedNamingWhereItStarts()
    {
        // The default limit (64 MiB) is far above the upload limit here; a 1 MiB line needs a lower one.
        var options = Microsoft.Extensions.Options.Options.Create(new DatasetOptions { MaxUploadBytes = 10_000_000, MaxDocumentBytes = 1024 });
        var store = new DatasetStore(Get<ModuleService.Registry.Data.RegistryDbContext>(), Blobs, Get<ModuleService.Registry.Stages.StageLog>(),
            Audit, TimeProvider.System, options);
        var content = Utf8("short\n\n" + string.Concat(Enumerable.Repeat("forty characters of one long document..\n", 30)));
        var before = await CountAllRowsAsync();

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() =>
            store.UploadAsync(UniqueName("long"), DatasetFormat.Text, new OnePassStream(content), false, Actor, default));

        Assert.Equal("line 3", error.Target);
        Assert.Equal(before, await CountAllRowsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n \n\t\n")]
    public async Task AnUploadWithoutDocuments_IsRejected(string content) =>
        Assert.Equal("body", (await RejectedAsync<InvalidModuleOperationException>(UniqueName("empty"), DatasetFormat.Jsonl, Utf8(content))).Target);

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("0196f3c8-0000-7000-8000-000000000001")]
    public async Task ABadName_IsRejected(string name) =>
        Assert.Equal("name", (await RejectedAsync<InvalidModuleOperationException>(name, DatasetFormat.Text, Utf8("text"))).Target);

    async Task<T> RejectedAsync<T>(string name, DatasetFormat format, byte[] content, bool gzip = false) where T : Exception
    {
        var before = await CountAllRowsAsync();
        var error = await Assert.ThrowsAsync<T>(() => UploadAsync(name, format, content, gzip));
        Assert.Equal(before, await CountAllRowsAsync());
        return error;
    }
}
