using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ModuleService.Cli;

/// <summary>
/// Minimal JSON writing onto a <see cref="TextWriter"/> for outputs with hundreds of thousands of numbers.
/// Floats use the shortest round-trip form ("R"), so parsing the text back as float32 gives the same bits.
/// </summary>
internal static class JsonText
{
    /// <summary>Leaves "×", "≈" and friends readable; the output is written as UTF-8, never embedded in HTML.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);

    public static void WriteString(TextWriter writer, string value) => writer.Write(Serialize(value));

    public static void WriteFloat(TextWriter writer, float value)
    {
        if (!float.IsFinite(value)) throw new CliException($"cannot write {value} as JSON (non-finite model output)");
        Span<char> buffer = stackalloc char[32];
        value.TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture);
        writer.Write(buffer[..written]);
    }

    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="values"/> (row-major, shape <paramref name="shape"/>) as nested arrays.</summary>
    public static void WriteFloats(TextWriter writer, ReadOnlySpan<float> values, ReadOnlySpan<int> shape)
    {
        if (shape.Length == 1)
        {
            writer.Write('[');
            for (int i = 0; i < values.Length; i++)
            {
                if (i > 0) writer.Write(',');
                WriteFloat(writer, values[i]);
            }
            writer.Write(']');
            return;
        }
        int stride = values.Length / shape[0];
        writer.Write('[');
        for (int i = 0; i < shape[0]; i++)
        {
            if (i > 0) writer.Write(',');
            WriteFloats(writer, values.Slice(i * stride, stride), shape[1..]);
        }
        writer.Write(']');
    }

    public static void WriteInts(TextWriter writer, IEnumerable<IEnumerable<long>> rows)
    {
        writer.Write('[');
        bool firstRow = true;
        foreach (var row in rows)
        {
            if (!firstRow) writer.Write(',');
            firstRow = false;
            writer.Write('[');
            writer.Write(string.Join(',', row.Select(v => v.ToString(CultureInfo.InvariantCulture))));
            writer.Write(']');
        }
        writer.Write(']');
    }
}
