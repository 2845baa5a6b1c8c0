using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ModuleService.Api.Tests.Fuzz;

public enum FieldKind { String, Bool, Integer, Long, Number, Guid, Enum, Date, Array, Object, Any }

/// <summary>A leaf of a request body: its JSON path and the kind of value it takes.</summary>
public sealed record BodyField(IReadOnlyList<object> Path, FieldKind Kind)
{
    public string Name => string.Concat(Path.Select((segment, i) => segment is int index ? $"[{index}]" : i == 0 ? $"{segment}" : $".{segment}"));
}

/// <summary>
/// Well-typed baseline values that refer to nothing (so the untouched request fails with a 4xx, and a mutation
/// cannot turn it into a write), and the malformed values the fuzzer puts in their place.
/// </summary>
public static class FuzzValues
{
    public const string Nobody = "fuzz-nobody";
    public static readonly Guid NoId = Guid.Parse("0196f3c8-0000-7000-8000-00000000f022");

    static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static FieldKind KindOf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return FieldKind.String;
        if (type == typeof(bool)) return FieldKind.Bool;
        if (type == typeof(Guid)) return FieldKind.Guid;
        if (type.IsEnum) return FieldKind.Enum;
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return FieldKind.Date;
        if (type == typeof(int) || type == typeof(short) || type == typeof(byte)) return FieldKind.Integer;
        if (type == typeof(long)) return FieldKind.Long;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return FieldKind.Number;
        if (type == typeof(object) || type == typeof(JsonElement) || type == typeof(JsonDocument) || typeof(JsonNode).IsAssignableFrom(type))
            return FieldKind.Any;
        if (typeof(IEnumerable).IsAssignableFrom(type)) return FieldKind.Array;
        return FieldKind.Object;
    }

    /// <summary>The baseline JSON for a request type; its fields are collected into <paramref name="fields"/>.</summary>
    public static JsonNode? Baseline(Type type, List<BodyField> fields) => Baseline(type, [], fields);

    static JsonNode? Baseline(Type type, List<object> path, List<BodyField> fields)
    {
        var kind = KindOf(type);
        if (path.Count > 0) fields.Add(new BodyField(path.ToList(), kind));
        type = Nullable.GetUnderlyingType(type) ?? type;
        switch (kind)
        {
            case FieldKind.String or FieldKind.Any: return Nobody;
            case FieldKind.Bool: return false;
            case FieldKind.Integer or FieldKind.Long: return 1;
            case FieldKind.Number: return 0.5;
            case FieldKind.Guid: return NoId.ToString();
            case FieldKind.Enum: return JsonNamingPolicy.CamelCase.ConvertName(Enum.GetNames(type)[0]);
            case FieldKind.Date: return "2020-01-01T00:00:00Z";
            case FieldKind.Array:
                return path.Count > 4 ? new JsonArray() : new JsonArray(Baseline(ElementType(type), [.. path, 0], fields));
            default:
                var body = new JsonObject();
                if (path.Count > 4) return body;
                foreach (var property in Wire.GetTypeInfo(type).Properties)
                    body[property.Name] = Baseline(property.PropertyType, [.. path, property.Name], fields);
                return body;
        }
    }

    static Type ElementType(Type type) =>
        type.IsArray ? type.GetElementType()!
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0] ?? typeof(object);

    /// <summary>The fields of a hand-written baseline, by the kind of their JSON values.</summary>
    public static List<BodyField> FieldsOf(JsonObject body) =>
        body.Select(p => new BodyField([p.Key], p.Value?.GetValueKind() switch
        {
            JsonValueKind.String => FieldKind.String,
            JsonValueKind.Number => FieldKind.Number,
            JsonValueKind.True or JsonValueKind.False => FieldKind.Bool,
            JsonValueKind.Array => FieldKind.Array,
            JsonValueKind.Object => FieldKind.Object,
            _ => FieldKind.Any,
        })).ToList();

    /// <summary>(kind of mutation, JSON text, expectation) for a field of the given kind.</summary>
    public static IEnumerable<(string Kind, string Json, Expectation Expect)> Mutations(FieldKind kind)
    {
        const Expectation named = Expectation.NamesField, error = Expectation.ClientError;
        yield return ("null", "null", error);
        var wrongTypes = kind switch
        {
            FieldKind.String => ["12345", "true", "{}", "[]"],
            FieldKind.Bool => ["\"yes\"", "1", "{}"],
            FieldKind.Integer => ["\"ten\"", "true", "1.5", "{}", "[]", "2147483648", "-2147483649", "9223372036854775808", "1e400"],
            FieldKind.Long => ["\"ten\"", "true", "1.5", "{}", "9223372036854775808", "-9223372036854775809", "1e400"],
            FieldKind.Number => ["\"hot\"", "true", "[]"],
            FieldKind.Guid => ["\"not-a-guid\"", "\"\"", "5", "\"../../etc/passwd\""],
            FieldKind.Enum => ["\"fuzz-nobody\"", "\"\"", "true", "1.5"],
            FieldKind.Date => ["\"yesterday\"", "5"],
            FieldKind.Array => ["\"x\"", "5", "{}"],
            FieldKind.Object => ["\"x\"", "5", "[]"],
            _ => Array.Empty<string>(),
        };
        foreach (var json in wrongTypes) yield return ("wrong type", json, named);
        if (kind is FieldKind.Integer or FieldKind.Long or FieldKind.Number)
            // 1e400 reads as a double's infinity (no read error): out of range rather than of the wrong type.
            foreach (var json in new[] { "-1", "0", "-2147483648", "2147483647", "1e308", "-1e308", "1e400" })
                yield return ("extreme number", json, error);
        if (kind == FieldKind.Enum)
            foreach (var json in new[] { "99", "-1" })   // an enum converter that allows numbers takes these
                yield return ("undefined enum value", json, error);
        if (kind is FieldKind.String or FieldKind.Any)
            foreach (var (name, value) in Strings)
                yield return (name, JsonSerializer.Serialize(value), error);
        if (kind is FieldKind.String)
            yield return ("lone surrogate", "\"\\ud800x\"", error);
        if (kind == FieldKind.Array)
        {
            yield return ("empty array", "[]", error);
            yield return ("array of nulls", "[null, null]", error);
            yield return ("huge array", "[" + string.Join(",", Enumerable.Repeat("\"" + Nobody + "\"", 20_000)) + "]", error);
        }
    }

    public static readonly (string Name, string Value)[] Strings =
    [
        ("empty string", ""),
        ("blank string", "   "),
        ("oversized string", new string('x', 100_000)),
        ("NUL in string", "a\0b"),
        ("path traversal", "../../../../etc/passwd"),
        ("control characters", "\u0001\u001b[2J\u202e"),
    ];

    /// <summary>Whole bodies that are not the request: malformed, the wrong JSON value, too deep, not UTF-8.</summary>
    public static IEnumerable<(string Kind, byte[] Body)> BadBodies(byte[] baseline)
    {
        var text = Encoding.UTF8.GetString(baseline);
        foreach (var (kind, body) in new (string, string)[]
        {
            ("empty body", ""),
            ("truncated JSON", text.Length > 2 ? text[..(text.Length / 2)] : "{"),
            ("unbalanced brace", "}"),
            ("missing value", "{\"a\": }"),
            ("JSON null", "null"),
            ("JSON array", "[]"),
            ("JSON number", "42"),
            ("JSON string", "\"text\""),
            ("JSON true", "true"),
            ("trailing garbage", text + "x"),
            ("two documents", text + " " + text),
            ("single quotes", "{'name': 'x'}"),
            ("NaN literal", "{\"a\": NaN}"),
            ("comment", "/* c */ " + text),
            ("deep nesting", new string('[', 100_000)),
            ("deep objects", string.Concat(Enumerable.Repeat("{\"a\":", 10_000))),
            ("long key", "{\"" + new string('k', 100_000) + "\": 1}"),
            ("long number", "{\"n\": " + new string('9', 100_000) + "}"),
            ("duplicate keys", DuplicateFirstKey(text)),
        })
            yield return (kind, Encoding.UTF8.GetBytes(body));
        yield return ("invalid UTF-8", [.. "{\"name\": \""u8, 0xFF, 0xFE, 0xC0, 0xAF, .. "\"}"u8]);
        yield return ("UTF-16 bytes", Encoding.Unicode.GetBytes(text));
        yield return ("binary junk", [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 131 % 251))]);
    }

    static string DuplicateFirstKey(string json) =>
        JsonNode.Parse(json) is JsonObject { Count: > 0 } body && body.First() is var (key, value)
            ? "{" + $"\"{key}\": {value?.ToJsonString() ?? "null"}, " + json.TrimStart()[1..]
            : "{\"a\": 1, \"a\": 2}";

    /// <summary>(content type, body) pairs that are not the JSON an endpoint reads, or not readable as what they claim.</summary>
    public static IEnumerable<(string Kind, string? ContentType, byte[] Body)> BadContentTypes(byte[] baseline)
    {
        yield return ("no content type", null, baseline);
        yield return ("text/plain", "text/plain", baseline);
        yield return ("unknown charset", "application/json; charset=bogus", baseline);
        yield return ("utf-16 charset, utf-8 bytes", "application/json; charset=utf-16", baseline);
        yield return ("malformed content type", "application/json; ;; =", baseline);
        yield return ("truncated multipart", "multipart/form-data; boundary=fuzz",
            "--fuzz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.tar\"\r\n\r\nabc"u8.ToArray());
        yield return ("multipart without parts", "multipart/form-data; boundary=fuzz", "--fuzz--\r\n"u8.ToArray());
        yield return ("multipart junk", "multipart/form-data; boundary=fuzz", "not multipart at all"u8.ToArray());
        yield return ("multipart without boundary", "multipart/form-data", baseline);
        yield return ("form urlencoded", "application/x-www-form-urlencoded", "name=x&path=%2Fetc&type=import"u8.ToArray());
        yield return ("tar that is no tar", "application/x-tar", Encoding.ASCII.GetBytes(new string('x', 1500)));
    }

    /// <summary>
    /// Values for a route parameter: traversal, encodings, lengths, numbers, ids of nothing. No %00: Kestrel refuses a
    /// NUL in the path before the app sees it, and the test server throws instead of answering.
    /// </summary>
    public static readonly string[] RouteValues =
    [
        "..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "a%2Fb", "%FF%FE", "%20", "-1", "0", "99999999999999999999",
        "nobody@1", "00000000-0000-0000-0000-000000000000", "not-a-guid", "%7B%7D", new string('x', 2000),
    ];

    /// <summary>(kind, raw query value, is a type error) for a query parameter of the given type.</summary>
    public static IEnumerable<(string Kind, string Value, bool TypeError)> QueryValues(Type type)
    {
        var kind = KindOf(type);
        if (kind is FieldKind.Integer or FieldKind.Long or FieldKind.Number)
        {
            foreach (var v in new[] { "abc", "1.5x", "99999999999999999999", "%00", "true", "0x10" }) yield return ("wrong type", v, true);
            foreach (var v in new[] { "-1", "0", "-2147483648", "2147483647" }) yield return ("extreme number", v, false);
        }
        else if (kind is FieldKind.Bool or FieldKind.Guid or FieldKind.Date)
        {
            foreach (var v in new[] { "abc", "%00", "12345678901234567890", "-1" }) yield return ("wrong type", v, true);
        }
        yield return ("empty", "", false);
        yield return ("oversized", new string('x', 4000), false);
        yield return ("path traversal", "..%2F..%2Fetc%2Fpasswd", false);
        yield return ("NUL", "%00", false);
        yield return ("invalid UTF-8", "%FF%FE", false);
        yield return ("SQL", "'%20OR%20'1'%3D'1", false);
    }
}
