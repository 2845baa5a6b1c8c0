using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Datasets;

/// <summary>
/// Training datasets: upload (here), look-up, listing, reading back, the train/validation split, stages and token
/// statistics (DatasetStore.Read.cs). Content is a blob; the dataset row, its stage events and its audit entries are
/// written in the upload's one transaction.
/// </summary>
public sealed partial class DatasetStore(RegistryDbContext db, BlobStore blobs, StageLog stages, AuditLog audit,
    TimeProvider time, IOptions<DatasetOptions> options)
{
    /// <summary>
    /// Stores an upload as a dataset in one pass over <paramref name="body"/>: gunzipped when <paramref name="gzip"/> is
    /// set or the content starts with the gzip magic, validated line by line (<see cref="DatasetParser"/>) and written
    /// to the blob store chunk by chunk, so memory holds a chunk and a line, never the upload. One transaction: a
    /// rejected upload leaves no rows and no blob. The stored bytes are the decompressed content. Content identical to
    /// an existing dataset's (same sha256 and format) returns that dataset with <c>Created = false</c>, whatever its
    /// name or stage.
    /// </summary>
    /// <exception cref="InvalidModuleOperationException">Bad name, a bad line (target <c>line N</c>), broken gzip, no documents.</exception>
    /// <exception cref="DatasetTooLargeException">More than <see cref="DatasetOptions.MaxUploadBytes"/>.</exception>
    /// <exception cref="ConflictException">The name belongs to a dataset with other content.</exception>
    public async Task<(DatasetView Dataset, bool Created)> UploadAsync(string name, DatasetFormat format, Stream body, bool gzip,
        string actor, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        if (!DatasetNames.IsValid(name)) throw new InvalidModuleOperationException("name", $"'{name}' is not a dataset name: {DatasetNames.Rule}");
        if (!Enum.IsDefined(format)) throw new InvalidModuleOperationException("format", $"unknown format {format}");
        string? sha = null;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var (blob, documents) = await StoreContentAsync(body, gzip, format, ct);
            sha = blob.Sha256;
            if (documents == 0) throw new InvalidModuleOperationException("body", "contains no documents");
            // Disposing the transaction rolls back: the blob exists already (the dataset references it), nothing to keep.
            if (await FindAsync(sha, format, ct) is { } existing) return (existing, false);
            if (await db.Datasets.AnyAsync(d => d.Name == name, ct))
                throw new ConflictException($"dataset '{name}' already exists with other content; choose another name");

            var dataset = new Dataset
            {
                Id = Guid.CreateVersion7(), Name = name, Format = format, Sha256 = sha, Bytes = blob.Size, Documents = documents,
                CreatedAt = time.GetUtcNow(), CreatedBy = actor,
            };
            db.Datasets.Add(dataset);
            stages.Start(TargetType.Dataset, dataset.Id, Stage.Active, actor, "upload");
            audit.Append(actor, "dataset.create", TargetType.Dataset, dataset.Id, new
            {
                name, format = format.ToString(), sha256 = sha, bytes = blob.Size, documents, blobCreated = blob.Created,
            });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            // Read back rather than echoed, so the answer equals every later read (timestamps at the database's precision).
            return (await GetAsync(dataset.Id, ct), true);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            db.ChangeTracker.Clear();
            await tx.RollbackAsync(CancellationToken.None);
            // A concurrent upload committed first: with the same bytes its dataset is ours too; with the same name it is a clash.
            if (unique.ConstraintName == "ix_datasets_sha256_format" && await FindAsync(sha!, format, ct) is { } winner) return (winner, false);
            throw new ConflictException($"dataset '{name}' was created concurrently with other content; choose another name");
        }
        catch
        {
            db.ChangeTracker.Clear();
            throw;
        }
    }

    static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];

    /// <summary>
    /// GZipStream ends quietly at the end of its input even mid-stream (strict checking is an off-by-default runtime
    /// switch), so a cut-off upload would be stored as a valid-looking prefix. The input must therefore end with the
    /// member trailer, whose last 4 bytes are the uncompressed size mod 2^32 (zlib itself checks the CRC before it).
    /// This also refuses files of several concatenated gzip members, which are rare for datasets.
    /// </summary>
    static async Task RequireCompleteGzipAsync(LimitedReadStream received, long decompressedBytes, CancellationToken ct)
    {
        await received.CopyToAsync(Stream.Null, ct);   // anything after the member the decompressor did not need
        var tail = received.Tail;
        if (tail.Length < LimitedReadStream.TailLength || BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]) != unchecked((uint)decompressedBytes))
            throw new InvalidModuleOperationException("gzip",
                "the gzip data is truncated or does not end with its trailer (several concatenated gzip members are not supported)");
    }

    async Task<(BlobPutResult Blob, long Documents)> StoreContentAsync(Stream body, bool gzip, DatasetFormat format, CancellationToken ct)
    {
        var settings = options.Value;
        // Both the bytes received and the bytes they decompress to count against the limit.
        var received = new LimitedReadStream(body, settings.MaxUploadBytes);
        var head = new byte[2];
        var headLength = await received.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        Stream raw = new PrefixedStream(head.AsMemory(0, headLength), received);
        // Valid UTF-8 never starts with 0x1f 0x8b (0x8b is a continuation byte), so sniffing cannot misread text.
        await using var gunzip = gzip || head.AsSpan(0, headLength).SequenceEqual(GzipMagic)
            ? new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true)
            : null;
        var content = new LimitedReadStream(gunzip ?? raw, settings.MaxUploadBytes);

        var parser = new DatasetParser(format, settings.MaxDocumentBytes, collect: false);
        using var writer = await blobs.BeginWriteAsync(ct);
        var buffer = new byte[1 << 16];
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, ct)) > 0)
            {
                parser.Feed(buffer.AsSpan(0, read));
                await writer.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidModuleOperationException("gzip", $"the upload is not valid gzip data: {e.Message}", e);
        }
        if (gunzip is not null) await RequireCompleteGzipAsync(received, content.Position, ct);
        parser.Finish();
        return (await writer.CompleteAsync(ct), parser.Documents);
    }
}
