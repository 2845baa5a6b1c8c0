namespace ModuleService.Registry.Data.Entities;

/// <summary>Content-addressed bytes, stored once. Rows are written with raw SQL (see BlobStore) so dedupe is race-free.</summary>
public sealed class Blob
{
    /// <summary>Lower-case hex sha256 of the content.</summary>
    public required string Sha256 { get; init; }
    public long Size { get; init; }
    public int ChunkCount { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One slice of a blob; slices concatenated by index give the content.</summary>
public sealed class BlobChunk
{
    public required string BlobSha256 { get; init; }
    public int Index { get; init; }
    public required byte[] Data { get; init; }
}
