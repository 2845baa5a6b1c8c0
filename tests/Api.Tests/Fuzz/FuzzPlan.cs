using System.Text;
using System.Text.Json.Nodes;

namespace ModuleService.Api.Tests.Fuzz;

/// <summary>
/// The malformed requests for one endpoint. Pass "nothing exists" puts ids of nothing in the route, so every
/// request must fail; pass "real targets" puts real ids there and sends only values that are wrong in themselves
/// (wrong types, undefined enum values, malformed bodies), which must fail too — and nothing may be written.
/// </summary>
public static class FuzzPlan
{
    const string Placeholder = "__fuzz_value__";

    /// <param name="routeValue">the value of a route parameter in the untouched request.</param>
    /// <param name="realTargets">the route names things that exist: only values that are wrong in themselves are sent.</param>
    public static List<FuzzInput> For(FuzzTarget target, Func<RouteParameter, string> routeValue, BodyOverride? bodyOverride, bool realTargets)
    {
        var inputs = new List<FuzzInput>();
        var baseQuery = bodyOverride?.Query ?? "";
        var path = PathWith(target, routeValue, null, null);
        string Url(string query) => query.Length == 0 ? path : $"{path}?{query}";
        string QueryWith(string name, string value) => string.Join('&', new[] { baseQuery, $"{name}={value}" }.Where(q => q.Length > 0));
        void Add(string kind, string field, string url, byte[]? body, string? contentType, Expectation expect) =>
            inputs.Add(new FuzzInput(target, kind, field, url, body, contentType, expect));

        var (baseline, contentType, json, fields) = BaselineBody(target, bodyOverride);
        if (!realTargets)
        {
            Add("baseline", "-", Url(baseQuery), baseline, contentType, Expectation.Tolerated);
            foreach (var method in new[] { "PUT", "DELETE", "PATCH" })
                inputs.Add(new FuzzInput(target, "unmapped method", method, Url(baseQuery), baseline, contentType, Expectation.ClientError, method));
        }

        if (!realTargets)
            foreach (var parameter in target.Route)
                foreach (var value in FuzzValues.RouteValues)
                    Add("route value", parameter.Name, PathWith(target, routeValue, parameter.Name, value) + (baseQuery.Length > 0 ? "?" + baseQuery : ""),
                        baseline, contentType, Expectation.ClientError);

        foreach (var parameter in target.Query)
            foreach (var (kind, value, typeError) in FuzzValues.QueryValues(parameter.Type))
            {
                var expect = typeError ? Expectation.NamesField : PagingContract(parameter.Name, value) ? Expectation.ClientError : Expectation.Tolerated;
                if (realTargets && expect == Expectation.Tolerated) continue;
                Add(kind, parameter.Name, Url(QueryWith(parameter.Name, value)), baseline, contentType, expect);
            }
        if (!realTargets)
        {
            Add("unknown query parameter", "fuzzUnknown", Url(QueryWith("fuzzUnknown", "1")), baseline, contentType, Expectation.Tolerated);
            foreach (var parameter in target.Query.Take(1))
                Add("repeated query parameter", parameter.Name, Url(QueryWith(parameter.Name, "1") + $"&{parameter.Name}=2"), baseline, contentType, Expectation.Tolerated);
        }

        if (baseline is null)
        {
            if (target.Method != "GET" && !realTargets)
                Add("unexpected body", "body", Url(baseQuery), "{\"fuzz\": ["u8.ToArray(), "application/json", Expectation.Tolerated);
            return inputs;
        }
        if (json is not null)
        {
            foreach (var field in fields)
                foreach (var (kind, value, expect) in FuzzValues.Mutations(field.Kind))
                {
                    if (realTargets && (kind == "null" || expect == Expectation.Tolerated || FuzzValues.Strings.Any(s => s.Name == kind))) continue;
                    if (bodyOverride?.Legal?.GetValueOrDefault(field.Name)?.Contains(value) == true) continue;
                    Add(kind, field.Name, Url(baseQuery), WithValue(json, field.Path, value), contentType, expect);
                }
            if (!realTargets && json is JsonObject)
                Add("unknown field", "fuzzUnknown", Url(baseQuery), WithValue(json, ["fuzzUnknown"], "{\"nested\": [1, \"x\"]}"), contentType, Expectation.Tolerated);
        }
        foreach (var (kind, body) in FuzzValues.BadBodies(baseline))
            Add(kind, "body", Url(baseQuery), body, contentType, Expectation.ClientError);
        foreach (var (kind, type, body) in FuzzValues.BadContentTypes(baseline))
            Add(kind, "content type", Url(baseQuery), body, type, Expectation.ClientError);
        return inputs;
    }

    /// <summary>Paging is part of the contract: offset ≥ 0, limit in 1..500.</summary>
    static bool PagingContract(string parameter, string value) =>
        long.TryParse(value, out var n) && parameter switch
        {
            "offset" => n < 0,
            "limit" => n is < 1 or > 500,
            _ => false,
        };

    static (byte[]? Body, string? ContentType, JsonNode? Json, List<BodyField> Fields) BaselineBody(FuzzTarget target, BodyOverride? bodyOverride)
    {
        var fields = new List<BodyField>();
        if (bodyOverride is not null)
        {
            JsonNode? parsed = null;
            if (bodyOverride.ContentType == "application/json")
            {
                parsed = JsonNode.Parse(bodyOverride.Body);
                if (parsed is JsonObject body) fields = FuzzValues.FieldsOf(body);
            }
            return (bodyOverride.Body, bodyOverride.ContentType, parsed, fields);
        }
        if (target.Body is not { } shape) return (null, null, null, fields);
        if (FuzzValues.KindOf(shape.Type) != FieldKind.Object)
            return ("{}"u8.ToArray(), shape.ContentTypes.FirstOrDefault() ?? "application/json", null, fields);
        var json = FuzzValues.Baseline(shape.Type, fields)!;
        return (Encoding.UTF8.GetBytes(json.ToJsonString()), "application/json", json, fields);
    }

    static string PathWith(FuzzTarget target, Func<RouteParameter, string> routeValue, string? replaced, string? raw)
    {
        var path = target.Template;
        foreach (var parameter in target.Route)
            path = path.Replace($"{{{parameter.Name}}}", parameter.Name == replaced ? raw! : Uri.EscapeDataString(routeValue(parameter)));
        return path;
    }

    /// <summary>The JSON with the value at <paramref name="path"/> replaced by raw JSON text (which may be invalid on purpose).</summary>
    static byte[] WithValue(JsonNode json, IReadOnlyList<object> path, string value)
    {
        var copy = json.DeepClone();
        var parent = copy;
        foreach (var segment in path.SkipLast(1))
            parent = segment is int index ? parent![index] : parent![(string)segment];
        if (path[^1] is int last) parent!.AsArray()[last] = Placeholder;
        else parent!.AsObject()[(string)path[^1]] = Placeholder;
        return Encoding.UTF8.GetBytes(copy.ToJsonString().Replace($"\"{Placeholder}\"", value));
    }
}
