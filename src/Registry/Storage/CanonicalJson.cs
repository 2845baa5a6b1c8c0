using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModuleService.Registry.Storage;

/// <summary>
/// Canonical JSON for hashing: object keys sorted ordinally at every level, numbers re-emitted in one spelling
/// (jsonb turns <c>1e-05</c> into <c>0.00001</c>), no whitespace. Equal content therefore hashes equal whatever
/// order or notation it was written in, and whether or not it passed through PostgreSQL.
/// </summary>
public static class CanonicalJson
{
    static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(JsonNode? node) => Canonical(node)?.ToJsonString(Compact) ?? "null";

    public static string Hash(JsonNode? node) => Sha256Hex.Of(Serialize(node));

    public static string Hash<T>(T value, JsonSerializerOptions? options = null) =>
        Hash(JsonSerializer.SerializeToNode(value, options));

    static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Canonical).ToArray()),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => Number(value),
        null => null,
        _ => node.DeepClone(),
    };

    static JsonValue Number(JsonValue value)
    {
        var text = value.ToJsonString();
        if (long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        var real = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        // 1.0 and 1 are the same number; only non-integral values keep a fraction.
        return real == Math.Floor(real) && Math.Abs(real) < 1e15 ? JsonValue.Create((long)real) : JsonValue.Create(real);
    }
}
