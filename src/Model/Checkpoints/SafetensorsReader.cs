using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// Reads a <c>.safetensors</c> file: validates the whole header on open, then reads tensors one at a time straight
/// into TorchSharp-owned memory (no managed byte[] copy), so peak memory is the tensors themselves.
/// </summary>
/// <remarks>Assumes a little-endian host, as safetensors data is little-endian.</remarks>
public sealed class SafetensorsReader : IDisposable
{
    /// <summary>Reads are split so each fits a <see cref="Span{T}"/> (int length); 1 GiB keeps syscalls large.</summary>
    const long ChunkBytes = 1L << 30;

    readonly SafeFileHandle handle;
    readonly SafetensorsHeader header;

    SafetensorsReader(string path, SafeFileHandle handle, SafetensorsHeader header)
    {
        Path = path;
        this.handle = handle;
        this.header = header;
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>All tensor entries by name (validated: known dtype, sizes match, in bounds, no overlaps).</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries => header.Entries;

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => header.Metadata;

    /// <summary>Absolute file offset where the data section begins.</summary>
    public long DataStart => header.DataStart;

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">The header is malformed or inconsistent with the file.</exception>
    public static SafetensorsReader Open(string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian host");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try { return new SafetensorsReader(path, handle, SafetensorsHeader.Read(path, handle)); }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor of <paramref name="path"/>; the caller owns (and disposes) the tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var reader = Open(path);
        return reader.ReadAll();
    }

    /// <summary>Reads one tensor as a new contiguous CPU tensor of the file's dtype and shape.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    /// <exception cref="CheckpointFormatException">The file ended early (changed since it was opened).</exception>
    public Tensor ReadTensor(string name)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        if (!header.Entries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        var tensor = torch.empty(entry.Shape, entry.ScalarType);
        try
        {
            if (entry.ByteLength > 0) ReadInto(tensor, entry);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads all tensors in data order; on failure the already read tensors are disposed.</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries.Values.OrderBy(e => e.Begin))
                result.Add(entry.Name, ReadTensor(entry.Name));
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> into the existing <paramref name="destination"/> of the same shape, e.g.
    /// a model parameter: straight from the file when the dtypes match, else through one converted temporary.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    /// <exception cref="ArgumentException">The destination's shape differs from the file's.</exception>
    public void ReadInto(string name, Tensor destination)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        if (!header.Entries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        if (!destination.shape.SequenceEqual(entry.Shape))
            throw new ArgumentException($"{Path}: tensor '{name}' has shape {SafetensorsHeader.Format(entry.Shape)}, the destination {SafetensorsHeader.Format(destination.shape)}", nameof(destination));
        using var _ = no_grad();
        if (destination.dtype == entry.ScalarType && destination.device_type == DeviceType.CPU && destination.is_contiguous())
        {
            if (entry.ByteLength > 0) ReadInto(destination, entry);
            return;
        }
        using var source = ReadTensor(name);
        destination.copy_(source);
    }

    void ReadInto(Tensor tensor, SafetensorsEntry entry)
    {
        // Tensor.bytes is a span over the tensor's native buffer, so the file is read straight into it.
        using var flat = tensor.view(-1);
        long chunkElements = ChunkBytes / entry.ElementSize;
        for (long start = 0; start < entry.ElementCount; start += chunkElements)
        {
            long count = Math.Min(chunkElements, entry.ElementCount - start);
            using var chunk = flat.narrow(0, start, count);
            FileIo.ReadExactly(Path, handle, chunk.bytes, DataStart + entry.Begin + start * entry.ElementSize, entry.Name);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => handle.Dispose();
}
