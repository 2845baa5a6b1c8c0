using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Storage;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>Single-pass blob writes (the staging table behind dataset uploads).</summary>
public sealed class BlobWriterTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Registry:ChunkSize", "1024")];

    [Fact]
    public async Task StreamingPut_StoresChunksThatReadBackAndDedupes()
    {
        var content = new byte[5_000];
        Random.Shared.NextBytes(content);

        var first = await PutInTransactionAsync(content);
        var second = await PutInTransactionAsync(content);

        Assert.Equal((true, false, Sha256Hex.Of(content), 5_000L), (first.Created, second.Created, second.Sha256, second.Size));
        Assert.Equal(5, await Db.BlobChunks.CountAsync(c => c.BlobSha256 == first.Sha256));
        await using var stored = await Blobs.OpenReadAsync(first.Sha256, default);
        Assert.Equal(first.Sha256, await Sha256Hex.OfAsync(stored, default));
    }

    [Fact]
    public async Task ARolledBackWrite_LeavesNothing()
    {
        var content = new byte[3_000];
        Random.Shared.NextBytes(content);
        var before = await CountRowsAsync();

        await using (var tx = await Db.Database.BeginTransactionAsync())
            await Blobs.PutStreamingAsync(new MemoryStream(content), default);   // disposed without commit

        Assert.Equal(before, await CountRowsAsync());
        Assert.False(await Blobs.ExistsAsync(Sha256Hex.Of(content), default));
    }

    [Fact]
    public async Task AStreamingPutOutsideATransaction_IsRefused() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() => Blobs.PutStreamingAsync(new MemoryStream([1, 2, 3]), default));

    async Task<BlobPutResult> PutInTransactionAsync(byte[] content)
    {
        await using var tx = await Db.Database.BeginTransactionAsync();
        var result = await Blobs.PutStreamingAsync(new MemoryStream(content), default);
        await tx.CommitAsync();
        return result;
    }
}
