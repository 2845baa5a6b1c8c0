using Microsoft.Win32.SafeHandles;

namespace ModuleService.Model.Checkpoints;

/// <summary>Small file helpers shared by the checkpoint readers and writers.</summary>
internal static class FileIo
{
    /// <summary>
    /// Positional read that fills <paramref name="buffer"/> completely. RandomAccess may return short reads, and a
    /// file that shrinks while we read it must surface as a format error, not as silently zeroed weights.
    /// </summary>
    public static void ReadExactly(string file, SafeFileHandle handle, Span<byte> buffer, long offset, string? tensorName = null)
    {
        while (!buffer.IsEmpty)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n == 0)
                throw new CheckpointFormatException(file, $"unexpected end of file ({buffer.Length} more bytes expected)", tensorName, offset);
            buffer = buffer[n..];
            offset += n;
        }
    }

    /// <summary>
    /// Writes <paramref name="write"/>'s output to a hidden temporary file next to <paramref name="path"/> and returns
    /// its path. Same folder, so the later rename is atomic on one file system; a failure deletes the temporary.
    /// </summary>
    public static string Stage(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        return tmp;
    }

    /// <summary>Moves a staged temporary onto its final name (replacing an older file).</summary>
    public static void Commit(string tmp, string path)
    {
        try { File.Move(tmp, path, overwrite: true); }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Writes a file so that readers see either the old content or the complete new one, never a prefix.</summary>
    public static void WriteAtomically(string path, Action<Stream> write) => Commit(Stage(path, write), path);

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
