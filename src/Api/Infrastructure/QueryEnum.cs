using System.Text.Json;

namespace ModuleService.Api.Infrastructure;

/// <summary>
/// Enum filters in query strings (<c>stage</c>, <c>kind</c>, <c>targetType</c>). Minimal APIs bind enums
/// case-sensitively, but responses write them in camelCase, so <c>?stage=archived</c> — the value a client just
/// read — was a 400. Names match in any case; numbers are refused, as the wire format has names only.
/// </summary>
public static class QueryEnum
{
    public static T? Parse<T>(string? value, string parameter) where T : struct, Enum
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (!char.IsAsciiDigit(value[0]) && value[0] is not ('-' or '+') && Enum.TryParse<T>(value, ignoreCase: true, out var parsed)
            && Enum.IsDefined(parsed))
            return parsed;
        var names = Enum.GetNames<T>().Select(JsonNamingPolicy.CamelCase.ConvertName);
        throw new QueryParameterException(parameter, $"'{value}' is not one of {string.Join(", ", names)}");
    }
}

/// <summary>A query parameter with a value the endpoint cannot use (→ 400 naming the parameter).</summary>
public sealed class QueryParameterException(string parameter, string problem)
    : BadHttpRequestException($"query parameter '{parameter}': {problem}")
{
    public string Parameter { get; } = parameter;
}
