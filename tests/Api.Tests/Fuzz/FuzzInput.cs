namespace ModuleService.Api.Tests.Fuzz;

public enum Expectation
{
    /// <summary>Garbage: a 4xx ProblemDetails.</summary>
    ClientError,
    /// <summary>A value of the wrong type for a known field: a 4xx ProblemDetails that names the field.</summary>
    NamesField,
    /// <summary>Junk the endpoint may ignore (an unknown field, a filter matching nothing): never a 5xx, and never a
    /// success where the untouched request failed.</summary>
    Tolerated,
}

/// <summary>One malformed request: what was changed (<see cref="Kind"/> of <see cref="Field"/>) and what must come back.</summary>
/// <param name="Method">another method than the endpoint's, for inputs that try one it does not map.</param>
public sealed record FuzzInput(FuzzTarget Target, string Kind, string Field, string Url, byte[]? Body, string? ContentType,
    Expectation Expect, string? Method = null)
{
    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(new HttpMethod(Method ?? Target.Method), Url);
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            if (ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }
        return request;
    }

    public override string ToString() => $"{Target} [{Kind} {Field}] {Abbreviate(Url)}";

    public static string Abbreviate(string text, int length = 160) => text.Length <= length ? text : text[..length] + $"…({text.Length} chars)";
}

/// <summary>A ready-made request body for endpoints whose body shape the API explorer cannot show (raw streams, JsonElement).</summary>
/// <param name="Legal">per field, the mutated values (JSON text) that are in its domain and so not sent as garbage.</param>
public sealed record BodyOverride(string Query, byte[] Body, string ContentType, IReadOnlyDictionary<string, string[]>? Legal = null);
