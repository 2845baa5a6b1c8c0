using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Storage;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests;

public sealed class BlobStoreTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    /// <summary>The smallest allowed chunk, so a few kB already span many chunk rows.</summary>
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Registry:ChunkSize", "1024")];

    [Fact]
    public async Task BlobLargerThanAChunk_RoundTripsThroughChunks()
    {
        var content = RandomBytes(10_000);
        var put = await Blobs.PutAsync(content, default);

        Assert.True(put.Created);
        Assert.Equal(Sha256Hex.Of(content), put.Sha256);
        Assert.Equal(10, await Db.BlobChunks.CountAsync(c => c.BlobSha256 == put.Sha256));
        Assert.Equal(content, await ReadFreshAsync(put.Sha256));
    }

    [Fact]
    public async Task NonSeekableStream_IsSpooledAndStoredOnce()
    {
        var content = RandomBytes(3_000);
        await using var pipe = new NonSeekableStream(content);
        var first = await Blobs.PutAsync(pipe, default);
        var second = await Blobs.PutAsync(content, default);

        Assert.Equal((true, false, first.Sha256), (first.Created, second.Created, second.Sha256));
        Assert.Equal(1, await Db.Blobs.CountAsync(b => b.Sha256 == first.Sha256));
    }

    [Fact]
    public async Task APutThatFailsHalfway_LeavesNeitherRowNorChunks_AndTheSameBytesStoreLater()
    {
        var content = RandomBytes(5_000);
        var sha = Sha256Hex.Of(content);
        await using (var failing = new FailsOnSecondPass(content, failAt: 2_048))
            await Assert.ThrowsAsync<IOException>(() => Blobs.PutAsync(failing, default));

        // Before the put had its own transaction, the row stayed with 2 of its 5 chunks, and every later put of these
        // bytes trusted the row.
        Assert.Equal(0, await Db.Blobs.CountAsync(b => b.Sha256 == sha));
        Assert.Equal(0, await Db.BlobChunks.CountAsync(c => c.BlobSha256 == sha));
        Assert.True((await Blobs.PutAsync(content, default)).Created);
        Assert.Equal(content, await ReadFreshAsync(sha));
    }

    [Fact]
    public async Task CorruptOrMissingCacheFile_IsDetectedAndRefetched()
    {
        var content = RandomBytes(5_000);
        var sha = (await Blobs.PutAsync(content, default)).Sha256;
        await using (await Blobs.OpenReadAsync(sha, default)) { }
        var cacheFile = Blobs.CachePath(sha);
        Assert.True(File.Exists(cacheFile));

        await File.WriteAllBytesAsync(cacheFile, RandomBytes(5_000));
        Assert.Equal(content, await ReadFreshAsync(sha));
        Assert.Equal(content, await File.ReadAllBytesAsync(cacheFile));

        File.Delete(cacheFile);
        Assert.Equal(content, await ReadFreshAsync(sha));
    }

    [Fact]
    public async Task CorruptDatabaseContent_ThrowsBlobIntegrityException()
    {
        var content = RandomBytes(2_500);
        var sha = (await Blobs.PutAsync(content, default)).Sha256;
        // Only a superuser who switches the guard off can do this; the registry must still notice.
        await ExecuteSqlAsync($"""
            ALTER TABLE blob_chunks DISABLE TRIGGER blob_chunks_immutable;
            UPDATE blob_chunks SET data = '\x00'::bytea || substring(data from 2) WHERE blob_sha256 = '{sha}' AND index = 1;
            ALTER TABLE blob_chunks ENABLE TRIGGER blob_chunks_immutable;
            """);

        var error = await Assert.ThrowsAsync<BlobIntegrityException>(() => ReadFreshAsync(sha));

        Assert.Equal(sha, error.Sha256);
        Assert.False(File.Exists(Blobs.CachePath(sha)), "a bad blob must not be cached");
    }

    [Fact]
    public async Task UnknownBlob_IsNotFound() =>
        await Assert.ThrowsAsync<NotFoundException>(() => Blobs.OpenReadAsync(new string('a', 64), default));

    async Task<byte[]> ReadFreshAsync(string sha)
    {
        await using var scope = NewScope();
        var blobs = (BlobStore)scope.ServiceProvider.GetService(typeof(BlobStore))!;
        await using var stream = await blobs.OpenReadAsync(sha, default);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>Blob storage at the production chunk size (4 MiB): a 9 MiB blob spans three chunk rows.</summary>
public sealed class DefaultChunkBlobTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    [Fact]
    public async Task MultiChunkBlob_RoundTripsAtTheDefaultChunkSize()
    {
        var content = new byte[9 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(content);
        var put = await Blobs.PutAsync(content, default);

        Assert.Equal(3, await Db.Blobs.Where(b => b.Sha256 == put.Sha256).Select(b => b.ChunkCount).SingleAsync());
        await using var stream = await Blobs.OpenReadAsync(put.Sha256, default);
        Assert.Equal(Sha256Hex.Of(content), await Sha256Hex.OfAsync(stream, default));
    }
}

/// <summary>Reads fine once (the hashing pass); after a rewind, fails once the position passes <c>failAt</c>.</summary>
sealed class FailsOnSecondPass(byte[] content, int failAt) : MemoryStream(content, writable: false)
{
    bool readToEnd;

    public override int Read(byte[] buffer, int offset, int count) => Track(() => base.Read(buffer, offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        Task.FromResult(Read(buffer, offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        ValueTask.FromResult(Track(() => base.Read(buffer.Span)));

    int Track(Func<int> read)
    {
        if (readToEnd && Position >= failAt) throw new IOException("the source failed halfway");
        var n = read();
        if (n == 0) readToEnd = true;
        return n;
    }
}
