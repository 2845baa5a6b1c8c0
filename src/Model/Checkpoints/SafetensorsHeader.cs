using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace ModuleService.Model.Checkpoints;

/// <summary>Parses and validates a safetensors header against the file it came from.</summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Real headers are a few hundred kB even for huge models; anything near this is corruption.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public required Dictionary<string, SafetensorsEntry> Entries { get; init; }
    public required Dictionary<string, string> Metadata { get; init; }
    /// <summary>Absolute file offset of the data section (8 + header length).</summary>
    public required long DataStart { get; init; }

    public static SafetensorsHeader Read(string file, SafeFileHandle handle)
    {
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new CheckpointFormatException(file, $"file is {fileLength} bytes, too short for the 8-byte header length", byteOffset: 0);
        Span<byte> prefix = stackalloc byte[8];
        FileIo.ReadExactly(file, handle, prefix, 0);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw new CheckpointFormatException(file, $"header length {headerLength} bytes is absurd (limit {MaxHeaderBytes}); not a safetensors file or corrupt", byteOffset: 0);
        if (8 + (long)headerLength > fileLength)
            throw new CheckpointFormatException(file, $"header length {headerLength} bytes runs past the end of the file ({fileLength} bytes); truncated?", byteOffset: 0);

        var json = new byte[headerLength];
        FileIo.ReadExactly(file, handle, json, 8);
        long dataStart = 8 + (long)headerLength;
        using var doc = Parse(file, json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, $"header is a JSON {doc.RootElement.ValueKind}, expected an object", byteOffset: 8);

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                ReadMetadata(file, property.Value, metadata);
                continue;
            }
            // JsonDocument keeps duplicate keys; two entries for one name would make the file ambiguous.
            if (entries.ContainsKey(property.Name))
                throw new CheckpointFormatException(file, "name appears twice in the header", property.Name, 8);
            entries.Add(property.Name, ParseEntry(file, property.Name, property.Value, dataStart, fileLength - dataStart));
        }
        CheckOverlaps(file, entries.Values, dataStart);
        return new SafetensorsHeader { Entries = entries, Metadata = metadata, DataStart = dataStart };
    }

    static JsonDocument Parse(string file, byte[] json)
    {
        try { return JsonDocument.Parse(json); }
        catch (JsonException e)
        {
            long offset = 8 + LineStart(json, e.LineNumber ?? 0) + (e.BytePositionInLine ?? 0);
            throw new CheckpointFormatException(file, $"header is not valid JSON: {e.Message}", byteOffset: offset, inner: e);
        }
    }

    static long LineStart(byte[] json, long line)
    {
        long seen = 0;
        for (int i = 0; i < json.Length && seen < line; i++)
            if (json[i] == (byte)'\n' && ++seen == line) return i + 1;
        return 0;
    }

    static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, $"__metadata__ is a JSON {value.ValueKind}, expected an object of strings", byteOffset: 8);
        // The spec says string values; tolerate other JSON by keeping its text rather than rejecting the weights.
        foreach (var p in value.EnumerateObject())
            metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
    }

    static SafetensorsEntry ParseEntry(string file, string name, JsonElement e, long dataStart, long dataLength)
    {
        CheckpointFormatException Bad(string problem, long? offset = null) => new(file, problem, name, offset);
        if (e.ValueKind != JsonValueKind.Object)
            throw Bad($"header entry is a JSON {e.ValueKind}, expected {{dtype, shape, data_offsets}}");
        if (!e.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("header entry has no string \"dtype\"");
        if (!e.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2 || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw Bad("\"data_offsets\" must be an array of two integers [begin, end]");
        long? at = begin >= 0 && begin <= dataLength ? dataStart + begin : null;
        if (begin < 0 || end < begin)
            throw Bad($"data_offsets [{begin}, {end}] are negative or reversed", at);
        if (end > dataLength)
            throw Bad($"data_offsets [{begin}, {end}] run past the end of the file: the data section starts at byte {dataStart} and holds {dataLength} bytes, so the tensor would end at byte {(decimal)dataStart + end}", at ?? dataStart + dataLength);

        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryParse(dtype, out var scalarType, out int elementSize))
            throw Bad($"unknown dtype \"{dtype}\" (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)", at);
        var shape = ParseShape(e, Bad, at);

        long bytes;
        try { bytes = checked(shape.Aggregate(1L, (n, d) => n * d) * elementSize); }
        catch (OverflowException) { throw Bad($"shape {Format(shape)} is too large", at); }
        if (bytes != end - begin)
            throw Bad($"shape {Format(shape)} of {dtype} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin} bytes", at);
        return new SafetensorsEntry(name, dtype, scalarType, elementSize, shape, begin, end);
    }

    static long[] ParseShape(JsonElement e, Func<string, long?, CheckpointFormatException> bad, long? at)
    {
        if (!e.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw bad("header entry has no \"shape\" array", at);
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim))
                throw bad($"shape entry {i} is {d.GetRawText()}, expected an integer", at);
            if (dim < 0)
                throw bad($"negative dimension {dim} at index {i} of shape {shapeElement.GetRawText()}", at);
            shape[i++] = dim;
        }
        return shape;
    }

    static void CheckOverlaps(string file, IEnumerable<SafetensorsEntry> entries, long dataStart)
    {
        SafetensorsEntry? previous = null;
        // Empty tensors occupy no bytes, so they cannot overlap anything even when they share an offset.
        foreach (var e in entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new CheckpointFormatException(file,
                    $"data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous.Name}' [{previous.Begin}, {previous.End}]",
                    e.Name, dataStart + e.Begin);
            previous = e;
        }
    }

    internal static string Format(long[] shape) => $"[{string.Join(", ", shape)}]";
}
