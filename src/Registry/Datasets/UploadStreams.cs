namespace ModuleService.Registry.Datasets;

/// <summary>
/// Read-only pass-through that throws <see cref="DatasetTooLargeException"/> once more than the limit has come, and
/// keeps the last 8 bytes read (a gzip member's trailer: CRC-32 and the uncompressed size mod 2^32).
/// </summary>
sealed class LimitedReadStream(Stream inner, long limit) : Stream
{
    public const int TailLength = 8;
    readonly byte[] tail = new byte[TailLength];
    int tailCount;
    long total;

    /// <summary>The last (up to 8) bytes read.</summary>
    public ReadOnlySpan<byte> Tail => tail.AsSpan(0, tailCount);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var read = await inner.ReadAsync(buffer, ct);
        return Count(buffer.Span[..read]);
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    int Count(ReadOnlySpan<byte> read)
    {
        total += read.Length;
        if (total > limit) throw new DatasetTooLargeException(limit);
        if (read.Length >= TailLength)
        {
            read[^TailLength..].CopyTo(tail);
            tailCount = TailLength;
        }
        else
        {
            var keep = Math.Min(tailCount, TailLength - read.Length);
            tail.AsSpan(tailCount - keep, keep).CopyTo(tail);
            read.CopyTo(tail.AsSpan(keep));
            tailCount = keep + read.Length;
        }
        return read.Length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => total; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Replays bytes already read (to sniff the gzip magic) before the rest of a one-pass stream.</summary>
sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (prefix.IsEmpty) return await rest.ReadAsync(buffer, ct);
        return TakePrefix(buffer.Span);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        prefix.IsEmpty ? rest.Read(buffer, offset, count) : TakePrefix(buffer.AsSpan(offset, count));

    int TakePrefix(Span<byte> buffer)
    {
        var take = Math.Min(buffer.Length, prefix.Length);
        prefix.Span[..take].CopyTo(buffer);
        prefix = prefix[take..];
        return take;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
