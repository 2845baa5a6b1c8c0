using System.Text.Json;
using Xunit;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

/// <summary>One row of fixture.json's <c>state_dict</c> list.</summary>
public sealed record FixtureTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("persistent_buffer")] bool PersistentBuffer);

/// <summary>A fresh folder under the system temp dir, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modsvc-ckpt-" + Guid.NewGuid().ToString("N"))).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

internal static class CheckpointTestSupport
{
    public static readonly string[] Fixtures = ["reference-tiny", "reference-tiny-molmlike"];

    public static string FixtureDir(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>
    /// Reads only the <c>state_dict</c> key of the 6 MB fixture.json: a forward-only reader skips the recorded
    /// logits instead of building a DOM for them.
    /// </summary>
    public static List<FixtureTensor> FixtureStateDict(string fixture)
    {
        var bytes = File.ReadAllBytes(Path.Combine(FixtureDir(fixture), "fixture.json"));
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool wanted = reader.ValueTextEquals("state_dict");
            reader.Read();
            if (wanted) return JsonSerializer.Deserialize<List<FixtureTensor>>(ref reader)!;
            reader.Skip();
        }
        throw new InvalidOperationException("fixture.json has no state_dict");
    }

    public static string TorchName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Int8 => "int8",
        _ => type.ToString(),
    };

    /// <summary>Same dtype, same shape, same bytes: Python's <c>torch.equal</c> plus a dtype check, NaN-safe.</summary>
    public static bool BitwiseEqual(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        if (a.NumberOfElements == 0) return true;
        using var scope = torch.NewDisposeScope();
        return a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);
    }

    public static void AssertSameTensors(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
            Assert.True(BitwiseEqual(tensor, actual[name]), $"tensor '{name}' differs");
    }

    public static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) t.Dispose();
    }

    /// <summary>Copies the given files of a fixture into <paramref name="dir"/>.</summary>
    public static void CopyFixture(string fixture, TempDir dir, params string[] files)
    {
        foreach (var file in files) File.Copy(Path.Combine(FixtureDir(fixture), file), dir.File(file));
    }
}
