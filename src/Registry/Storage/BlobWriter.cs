using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;

namespace ModuleService.Registry.Storage;

/// <summary>
/// A single-pass blob write (see <see cref="BlobStore.BeginWriteAsync"/>): chunks go to a session-private staging
/// table as they fill, hashed on the way, so memory holds one chunk whatever the size. The hash, and so the blob's
/// key, is only known at <see cref="CompleteAsync"/>, which then moves the chunks under it, or leaves them to be
/// dropped if the blob already exists. The staging table is <c>ON COMMIT DROP</c>: any end of the transaction
/// removes it, so an abandoned write leaves nothing.
/// </summary>
public sealed class BlobWriter : IDisposable
{
    readonly RegistryDbContext db;
    readonly TimeProvider time;
    readonly byte[] buffer;
    readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    // A table name cannot be a parameter; it is built from a Guid here and never from input.
    readonly string insertStaged, moveChunk, dropStaging;
    int filled, chunks;
    bool completed;

    BlobWriter(RegistryDbContext db, TimeProvider time, string staging, int chunkSize)
    {
        this.db = db;
        this.time = time;
        buffer = new byte[chunkSize];
        insertStaged = "INSERT INTO " + staging + " (index, data) VALUES ({0}, {1})";
        moveChunk = "INSERT INTO blob_chunks (blob_sha256, index, data) SELECT {0}, index, data FROM " + staging + " WHERE index = {1}";
        dropStaging = "DROP TABLE " + staging;
    }

    internal static async Task<BlobWriter> StartAsync(RegistryDbContext db, TimeProvider time, int chunkSize, CancellationToken ct)
    {
        var staging = "blob_staging_" + Guid.NewGuid().ToString("N");
        var create = "CREATE TEMP TABLE " + staging + " (index integer PRIMARY KEY, data bytea NOT NULL) ON COMMIT DROP";
        await db.Database.ExecuteSqlRawAsync(create, ct);
        return new BlobWriter(db, time, staging, chunkSize);
    }

    /// <summary>Bytes written so far.</summary>
    public long Size { get; private set; }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        while (!data.IsEmpty)
        {
            var take = Math.Min(data.Length, buffer.Length - filled);
            data[..take].CopyTo(buffer.AsMemory(filled));
            filled += take;
            Size += take;
            data = data[take..];
            if (filled == buffer.Length) await FlushChunkAsync(ct);
        }
    }

    /// <summary>Stores the blob under its sha256 unless it exists; the staging rows go either way.</summary>
    public async Task<BlobPutResult> CompleteAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        await FlushChunkAsync(ct);
        completed = true;
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        // ON CONFLICT: a concurrent write of the same bytes wins the row (we wait for its commit); ours then adds nothing.
        var inserted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO blobs (sha256, size, chunk_count, created_at) VALUES ({sha}, {Size}, {chunks}, {time.GetUtcNow()}) ON CONFLICT (sha256) DO NOTHING", ct);
        // One statement per chunk keeps each short (cancellable, far from any command timeout) for multi-GB blobs.
        for (var index = 0; inserted == 1 && index < chunks; index++)
            await db.Database.ExecuteSqlRawAsync(moveChunk, [sha, index], ct);
        await db.Database.ExecuteSqlRawAsync(dropStaging, ct);
        return new BlobPutResult(sha, Size, inserted == 1);
    }

    public void Dispose() => hash.Dispose();

    async Task FlushChunkAsync(CancellationToken ct)
    {
        if (filled == 0) return;
        var chunk = filled == buffer.Length ? buffer : buffer[..filled];
        hash.AppendData(chunk);
        await db.Database.ExecuteSqlRawAsync(insertStaged, [chunks, chunk], ct);
        chunks++;
        filled = 0;
    }
}
