using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>Maps safetensors dtype names (<c>F32</c>, <c>BF16</c>, …) to TorchSharp scalar types and back.</summary>
public static class SafetensorsDType
{
    static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>The scalar type and element size for a safetensors dtype name; false for unsupported names.</summary>
    public static bool TryParse(string name, out ScalarType type, out int elementSize)
    {
        foreach (var row in Table)
        {
            if (row.Name != name) continue;
            (type, elementSize) = (row.Type, row.Size);
            return true;
        }
        (type, elementSize) = (default, 0);
        return false;
    }

    /// <summary>The safetensors dtype name for <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The type has no safetensors name we support (e.g. complex).</exception>
    public static string NameOf(ScalarType type)
    {
        foreach (var row in Table)
            if (row.Type == type) return row.Name;
        throw new ArgumentException($"dtype {type} cannot be stored in safetensors by this writer", nameof(type));
    }

    /// <summary>Bytes per element of a supported scalar type.</summary>
    public static int ElementSize(ScalarType type)
    {
        foreach (var row in Table)
            if (row.Type == type) return row.Size;
        throw new ArgumentException($"dtype {type} is not supported", nameof(type));
    }
}
