using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// Writes <c>.safetensors</c> files. Output is deterministic for equal input: tensors are laid out by element size
/// (largest first) then name, which also keeps every tensor aligned to its element size, and the header always
/// carries <c>__metadata__: {"format": "pt"}</c> so Hugging Face loaders treat the file as PyTorch weights.
/// </summary>
public static class SafetensorsWriter
{
    const long ChunkBytes = 1L << 30;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> via a temporary file and a rename.</summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">Tensors of any supported dtype, on any device, contiguous or not.</param>
    /// <param name="metadata">Extra <c>__metadata__</c> entries; <c>format</c> defaults to <c>pt</c>.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => FileIo.WriteAtomically(path, stream => Write(stream, tensors, metadata));

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException">A tensor has an unsupported dtype or the reserved name <c>__metadata__</c>.</exception>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var specs = tensors.Select(p => new TensorSpec(p.Key, p.Value.dtype, p.Value.shape)).ToList();
        Write(stream, specs, spec => tensors[spec.Name], disposeProduced: false, metadata);
    }

    /// <summary>
    /// Writes a file whose tensors are made one at a time by <paramref name="produce"/> and disposed right after
    /// they are written, so memory holds one tensor, never the whole file (e.g. multi-GB random checkpoints).
    /// The layout is the same as for a dictionary of tensors with these names, dtypes and shapes.
    /// </summary>
    /// <exception cref="ArgumentException">A spec has an unsupported dtype or the reserved name, or a produced
    /// tensor does not have its spec's dtype and shape.</exception>
    public static void Save(string path, IReadOnlyList<TensorSpec> specs, Func<TensorSpec, Tensor> produce, IReadOnlyDictionary<string, string>? metadata = null)
        => FileIo.WriteAtomically(path, stream => Write(stream, specs, produce, disposeProduced: true, metadata));

    static void Write(Stream stream, IReadOnlyList<TensorSpec> specs, Func<TensorSpec, Tensor> produce, bool disposeProduced,
        IReadOnlyDictionary<string, string>? metadata)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian host");
        var layout = Layout(specs);
        var header = Header(layout, metadata);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var item in layout)
        {
            var tensor = produce(item.Spec);
            try
            {
                if (tensor.dtype != item.Spec.DType || !tensor.shape.SequenceEqual(item.Spec.Shape))
                    throw new ArgumentException($"tensor '{item.Spec.Name}' was produced as {tensor.dtype} {Format(tensor.shape)}, " +
                        $"its spec says {item.Spec.DType} {Format(item.Spec.Shape)}", nameof(produce));
                WriteData(stream, tensor);
            }
            finally
            {
                if (disposeProduced) tensor.Dispose();
            }
        }
    }

    /// <summary>Name, dtype and shape of one tensor to write; the data comes later.</summary>
    public sealed record TensorSpec(string Name, ScalarType DType, long[] Shape);

    sealed record Item(TensorSpec Spec, string DType, long Begin, long End);

    static List<Item> Layout(IReadOnlyList<TensorSpec> specs)
    {
        var items = new List<Item>(specs.Count);
        long offset = 0;
        foreach (var spec in specs.OrderByDescending(SizeOf).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (spec.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(specs));
            long bytes = checked(spec.Shape.Aggregate(1L, (n, d) => n * d) * SizeOf(spec));
            items.Add(new Item(spec, SafetensorsDType.NameOf(spec.DType), offset, offset + bytes));
            offset += bytes;
        }
        return items;
    }

    static string Format(long[] shape) => SafetensorsHeader.Format(shape);

    static int SizeOf(TensorSpec spec)
    {
        try { return SafetensorsDType.ElementSize(spec.DType); }
        catch (ArgumentException e) { throw new ArgumentException($"tensor '{spec.Name}': {e.Message}", nameof(spec), e); }
    }

    static byte[] Header(List<Item> layout, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        // Relaxed escaping keeps names like "a+b" readable; the result is still plain valid JSON.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            var meta = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
            foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
            foreach (var (k, v) in meta) json.WriteString(k, v);
            json.WriteEndObject();
            foreach (var item in layout)
            {
                json.WriteStartObject(item.Spec.Name);
                json.WriteString("dtype", item.DType);
                json.WriteStartArray("shape");
                foreach (var d in item.Spec.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(item.Begin);
                json.WriteNumberValue(item.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data section starts 8-byte aligned (8-byte prefix + multiple of 8).
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    static void WriteData(Stream stream, Tensor tensor)
    {
        if (tensor.NumberOfElements == 0) return;
        // The scope disposes only the CPU/contiguous copies and views made here, never the caller's tensor.
        using var scope = torch.NewDisposeScope();
        var source = tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
        if (!source.is_contiguous()) source = source.contiguous();
        var flat = source.view(-1);
        long elementSize = source.ElementSize;
        long chunkElements = ChunkBytes / elementSize;
        for (long start = 0; start < flat.NumberOfElements; start += chunkElements)
        {
            var chunk = flat.narrow(0, start, Math.Min(chunkElements, flat.NumberOfElements - start));
            stream.Write(chunk.bytes);
        }
    }
}
