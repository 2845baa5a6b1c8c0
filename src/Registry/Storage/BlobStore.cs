using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModuleService.Registry.Data;

namespace ModuleService.Registry.Storage;

/// <summary>Outcome of <see cref="BlobStore.PutAsync(Stream, CancellationToken)"/>.</summary>
public sealed record BlobPutResult(string Sha256, long Size, bool Created);

/// <summary>
/// Content-addressed bytes in PostgreSQL (chunk rows, so every node sees the same data and multi-GB blobs never sit
/// in memory whole) behind a node-local disk cache. Every read is checked against the sha256: a bad cache file is
/// refetched, bad database content throws <see cref="BlobIntegrityException"/>.
/// </summary>
public sealed class BlobStore(RegistryDbContext db, IOptions<RegistryOptions> options, TimeProvider time, ILogger<BlobStore> logger)
{
    readonly RegistryOptions settings = options.Value;

    /// <summary>
    /// Stores the rest of <paramref name="content"/> unless a blob with its hash exists. Runs in the caller's
    /// transaction, if any, so a failed import leaves no blobs behind; otherwise in one of its own.
    /// </summary>
    public async Task<BlobPutResult> PutAsync(Stream content, CancellationToken ct)
    {
        if (!content.CanSeek)
        {
            // Hashing must finish before we know whether to write, so one-pass streams are spooled first.
            await using var spool = TempFile();
            await content.CopyToAsync(spool, ct);
            spool.Position = 0;
            return await PutAsync(spool, ct);
        }
        var start = content.Position;
        var sha = await Sha256Hex.OfAsync(content, ct);
        var size = content.Position - start;
        if (await db.Blobs.AnyAsync(b => b.Sha256 == sha, ct)) return new(sha, size, false);

        var chunkCount = checked((int)((size + settings.ChunkSize - 1) / settings.ChunkSize));
        var now = time.GetUtcNow();
        // The row and its chunks commit together: a row whose chunks were lost to a crash between the statements
        // would pass the existence check above forever, and every later put of the same bytes would trust it.
        await using var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        // ON CONFLICT: a concurrent import of the same bytes wins the row; ours then writes nothing.
        var inserted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO blobs (sha256, size, chunk_count, created_at) VALUES ({sha}, {size}, {chunkCount}, {now}) ON CONFLICT (sha256) DO NOTHING", ct);
        if (inserted == 0) return new(sha, size, false);

        content.Position = start;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[(int)Math.Min(settings.ChunkSize, Math.Max(size, 1))];
        for (var index = 0; index < chunkCount; index++)
        {
            var want = (int)Math.Min(buffer.Length, size - (long)index * settings.ChunkSize);
            await content.ReadExactlyAsync(buffer.AsMemory(0, want), ct);
            var data = want == buffer.Length ? buffer : buffer[..want];
            hash.AppendData(data);
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO blob_chunks (blob_sha256, index, data) VALUES ({sha}, {index}, {data})", ct);
        }
        // A source that changed between the two passes would store bytes under the wrong key.
        if (Convert.ToHexStringLower(hash.GetHashAndReset()) != sha)
            throw new InvalidOperationException($"content changed while blob {sha} was being stored");
        if (own is not null) await own.CommitAsync(ct);
        return new(sha, size, true);
    }

    /// <summary>
    /// Starts a single-pass write of content that arrives once and is not known in advance (an upload being validated
    /// on the fly): see <see cref="BlobWriter"/>. Needs the caller's transaction, which its staging table lives in.
    /// </summary>
    public async Task<BlobWriter> BeginWriteAsync(CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("a streaming blob write needs a transaction: its staging table lives until commit or rollback");
        return await BlobWriter.StartAsync(db, time, settings.ChunkSize, ct);
    }

    /// <summary>
    /// Stores a one-pass stream without spooling it to disk first (unlike <see cref="PutAsync(Stream, CancellationToken)"/>
    /// for non-seekable streams), in the caller's transaction.
    /// </summary>
    public async Task<BlobPutResult> PutStreamingAsync(Stream content, CancellationToken ct)
    {
        using var writer = await BeginWriteAsync(ct);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await content.ReadAsync(buffer, ct)) > 0)
            await writer.WriteAsync(buffer.AsMemory(0, read), ct);
        return await writer.CompleteAsync(ct);
    }

    public async Task<BlobPutResult> PutAsync(byte[] content, CancellationToken ct)
    {
        using var stream = new MemoryStream(content, writable: false);
        return await PutAsync(stream, ct);
    }

    public Task<bool> ExistsAsync(string sha256, CancellationToken ct) => db.Blobs.AnyAsync(b => b.Sha256 == sha256, ct);

    /// <summary>Opens the verified content of a blob (from the node cache, refetched from the database if needed).</summary>
    /// <exception cref="NotFoundException">No such blob.</exception>
    /// <exception cref="BlobIntegrityException">The database copy does not hash to <paramref name="sha256"/>.</exception>
    public Task<Stream> OpenReadAsync(string sha256, CancellationToken ct) => OpenReadAsync(sha256, null, ct);

    /// <param name="owner">what the blob holds, for the <see cref="BlobIntegrityException"/> if it is damaged.</param>
    public async Task<Stream> OpenReadAsync(string sha256, string? owner, CancellationToken ct) =>
        new FileStream(await GetVerifiedFileAsync(sha256, owner, ct), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);

    /// <summary>Path of the cache file for a blob after checking its hash; for readers that need a file (safetensors).</summary>
    /// <param name="owner">what the blob holds, for the <see cref="BlobIntegrityException"/> if it is damaged.</param>
    public async Task<string> GetVerifiedFileAsync(string sha256, string? owner, CancellationToken ct)
    {
        if (!Sha256Hex.IsValid(sha256)) throw new NotFoundException("blob", sha256);
        var path = CachePath(sha256);
        if (File.Exists(path))
        {
            if (await FileHashAsync(path, ct) == sha256) return path;
            logger.LogWarning("Blob cache file {Path} does not match its sha256; refetching from the database", path);
            File.Delete(path);
        }
        await FetchAsync(sha256, path, owner, ct);
        return path;
    }

    internal string CachePath(string sha256) =>
        Path.Combine(settings.ResolvedCacheDirectory, sha256[..2], sha256);

    async Task FetchAsync(string sha, string path, string? owner, CancellationToken ct)
    {
        var blob = await db.Blobs.AsNoTracking().SingleOrDefaultAsync(b => b.Sha256 == sha, ct)
            ?? throw new NotFoundException("blob", sha);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written under a temporary name and renamed, so other readers never see a partial file.
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                for (var index = 0; index < blob.ChunkCount; index++)
                {
                    var data = await db.BlobChunks.Where(c => c.BlobSha256 == sha && c.Index == index)
                        .Select(c => c.Data).SingleOrDefaultAsync(ct)
                        ?? throw new BlobIntegrityException(sha, $"chunk {index} of {blob.ChunkCount} is missing", owner);
                    hash.AppendData(data);
                    total += data.Length;
                    await file.WriteAsync(data, ct);
                }
                await file.FlushAsync(ct);
            }
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (total != blob.Size || actual != sha)
                throw new BlobIntegrityException(sha, $"database content ({total} bytes, sha256 {actual}) does not match the blob ({blob.Size} bytes)", owner);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    static async Task<string> FileHashAsync(string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
        return await Sha256Hex.OfAsync(file, ct);
    }

    FileStream TempFile()
    {
        Directory.CreateDirectory(settings.ResolvedCacheDirectory);
        return new FileStream(Path.Combine(settings.ResolvedCacheDirectory, $".spool-{Guid.NewGuid():N}.tmp"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
