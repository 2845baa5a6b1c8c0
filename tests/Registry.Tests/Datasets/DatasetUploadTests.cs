using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Storage;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>Uploads that are accepted: counting, storage, gzip, deduplication.</summary>
public sealed class DatasetUploadTests(PostgresFixture postgres) : DatasetTestBase(postgres)
{
    const string Text = "First document,\r\nstill the first.\n\n\n  \t\nSecond document.\n\nThird\n";

    [Fact]
    public async Task TextUpload_CountsBlankLineSeparatedDocumentsAndStoresTheBytes()
    {
        var name = UniqueName("text");
        var (dataset, created) = await UploadAsync(name, DatasetFormat.Text, Text);

        Assert.True(created);
        Assert.Equal((name, DatasetFormat.Text, 3L, (long)Utf8(Text).Length, Stage.Active, Actor),
            (dataset.Name, dataset.Format, dataset.Documents, dataset.Bytes, dataset.Stage, dataset.CreatedBy));
        Assert.Equal(Sha256Hex.Of(Utf8(Text)), dataset.Sha256);
        Assert.Empty(dataset.Tokens);
        var read = await Datasets.GetAsync(name, default);
        Assert.Equal((dataset.Id, dataset.Sha256, dataset.CreatedAt, dataset.Stage), (read.Id, read.Sha256, read.CreatedAt, read.Stage));
        var audit = await Audit.ListAsync(new AuditQuery(TargetType.Dataset, dataset.Id.ToString()), null, default);
        Assert.Equal("dataset.create", Assert.Single(audit.Items).Action);
    }

    [Fact]
    public async Task JsonlUpload_CountsOneDocumentPerNonBlankLine()
    {
        var jsonl = "{\"text\": \"a\", \"meta\": {\"x\": [1, 2]}}\n\n{\"id\": 7, \"text\": \"b \\u00e9\"}\r\n{\"text\": \"\"}";
        var (dataset, created) = await UploadAsync(UniqueName("jsonl"), DatasetFormat.Jsonl, jsonl);

        Assert.True(created);
        Assert.Equal(3, dataset.Documents);
    }

    [Fact]
    public async Task GzipUpload_IsDetectedByItsMagicAndStoredDecompressed()
    {
        var content = Utf8(string.Join("\n\n", Enumerable.Range(0, 500).Select(i => $"document {i} with some words")));
        var (sniffed, _) = await UploadAsync(UniqueName("gz"), DatasetFormat.Text, Gzip(content));

        Assert.Equal((Sha256Hex.Of(content), (long)content.Length, 500L), (sniffed.Sha256, sniffed.Bytes, sniffed.Documents));
        await using var stored = await Datasets.OpenReadAsync(sniffed.Id, default);
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task ReUploadOfTheSameBytes_ReturnsTheExistingDatasetAndWritesNothing()
    {
        var content = Utf8("dedupe me\n\nplease " + Guid.NewGuid());
        var (first, _) = await UploadAsync(UniqueName("orig"), DatasetFormat.Text, content);
        var before = await CountAllRowsAsync();

        // Same bytes, gzipped this time and under another name: still the same dataset.
        var (again, created) = await UploadAsync(UniqueName("copy"), DatasetFormat.Text, Gzip(content), gzip: true);

        Assert.False(created);
        Assert.Equal((first.Id, first.Name), (again.Id, again.Name));
        Assert.Equal(before, await CountAllRowsAsync());
    }

    [Fact]
    public async Task ConcurrentUploadsOfTheSameBytes_MakeOneDataset()
    {
        var content = Utf8("raced " + Guid.NewGuid());
        // With the blob already stored, neither upload waits on the blob row: they meet at the datasets unique index.
        await Blobs.PutAsync(content, default);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => UploadAsync(UniqueName($"race{i}"), DatasetFormat.Text, content)));

        Assert.Single(results.Select(r => r.Dataset.Id).Distinct());
        Assert.Equal(1, results.Count(r => r.Created));
    }

    [Fact]
    public async Task SameBytesInAnotherFormat_IsANewDatasetSharingTheBlob()
    {
        var content = Utf8($"{{\"text\": \"{Guid.NewGuid()}\"}}\n");
        var (asText, _) = await UploadAsync(UniqueName("astext"), DatasetFormat.Text, content);
        var blobs = await Db.Blobs.CountAsync();

        var (asJsonl, created) = await UploadAsync(UniqueName("asjsonl"), DatasetFormat.Jsonl, content);

        Assert.True(created);
        Assert.NotEqual(asText.Id, asJsonl.Id);
        Assert.Equal(asText.Sha256, asJsonl.Sha256);
        Assert.Equal(blobs, await Db.Blobs.CountAsync());
    }

    [Fact]
    public async Task ATakenNameWithOtherContent_IsAConflictAndWritesNothing()
    {
        var name = UniqueName("taken");
        await UploadAsync(name, DatasetFormat.Text, "one");
        var before = await CountAllRowsAsync();

        await Assert.ThrowsAsync<ConflictException>(() => UploadAsync(name, DatasetFormat.Text, "two"));

        Assert.Equal(before, await CountAllRowsAsync());
    }

    [Fact]
    public async Task ContentSpanningManyChunks_RoundTrips()
    {
        // 1 KiB chunks: ~150 chunk rows, written through the staging table.
        var content = Utf8(string.Join("\n", Enumerable.Range(0, 6000).Select(i => $"{{\"text\": \"line {i} ü\"}}")));
        var (dataset, _) = await UploadAsync(UniqueName("big"), DatasetFormat.Jsonl, content);

        Assert.Equal(6000, dataset.Documents);
        Assert.Equal((int)Math.Ceiling(content.Length / 1024.0), await Db.Blobs.Where(b => b.Sha256 == dataset.Sha256).Select(b => b.ChunkCount).SingleAsync());
        Assert.Equal(Enumerable.Range(0, 6000).Select(i => $"line {i} ü"), await ReadDocumentsAsync(dataset.Id));
    }

    [Fact]
    public async Task Documents_ReadBackInOrder()
    {
        var (text, _) = await UploadAsync(UniqueName("order"), DatasetFormat.Text, "\uFEFFalpha\r\nbeta\n\n\ngamma  \n \ndelta");
        var (jsonl, _) = await UploadAsync(UniqueName("orderj"), DatasetFormat.Jsonl,
            "{\"text\": \"one\\ntwo\"}\n{\"text\": \"\\\"quoted\\\" \\ud83d\\ude00\"}\n");

        Assert.Equal(["alpha\nbeta", "gamma  ", "delta"], await ReadDocumentsAsync(text.Id));
        Assert.Equal(["one\ntwo", "\"quoted\" 😀"], await ReadDocumentsAsync(jsonl.Id));
    }

    [Fact]
    public async Task TokenStatistics_ShowTheLatestCountPerTokenizer()
    {
        var (dataset, _) = await UploadAsync(UniqueName("stats"), DatasetFormat.Text, "count me " + Guid.NewGuid());
        var job = Guid.NewGuid();
        await Datasets.RecordStatisticAsync(dataset.Id, "gpt2", 10, null, Actor, default);
        await Datasets.RecordStatisticAsync(dataset.Id, "tiny", 30, null, Actor, default);
        await Datasets.RecordStatisticAsync(dataset.Id, "gpt2", 12, job, Actor, default);

        var tokens = (await Datasets.GetAsync(dataset.Id, default)).Tokens;

        Assert.Equal([("gpt2", 12L, (Guid?)job), ("tiny", 30L, null)], tokens.Select(t => (t.Tokenizer, t.Tokens, t.JobId)));
        await Assert.ThrowsAsync<NotFoundException>(() => Datasets.RecordStatisticAsync(Guid.NewGuid(), "gpt2", 1, null, Actor, default));
    }

    [Fact]
    public async Task UnknownDataset_IsNotFound()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Datasets.GetAsync("nobody", default));
        await Assert.ThrowsAsync<NotFoundException>(() => Datasets.GetAsync(Guid.NewGuid(), default));
        await Assert.ThrowsAsync<NotFoundException>(() => ReadDocumentsAsync(Guid.NewGuid()));
    }
}
