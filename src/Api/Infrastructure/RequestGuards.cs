using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Net.Http.Headers;

namespace ModuleService.Api.Infrastructure;

/// <summary>
/// Input no endpoint can use, refused before a handler sees it. PostgreSQL text cannot hold a NUL character, so a
/// NUL in a query filter or a JSON string used to fail deep inside a query, as a 500; a body in a charset .NET does
/// not know failed in the JSON reader, also as a 500.
/// </summary>
public static class RequestGuards
{
    public static WebApplication UseRequestGuards(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            foreach (var (name, values) in context.Request.Query)
                if (values.Any(value => value?.Contains('\0') == true))
                    throw new QueryParameterException(name, "NUL characters are not accepted");
            if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.Charset.HasValue && !IsKnownEncoding(type.Charset.Value!))
                throw new BadHttpRequestException($"the Content-Type's charset '{type.Charset}' is not supported; send UTF-8",
                    StatusCodes.Status415UnsupportedMediaType);
            return next(context);
        });
        return app;
    }

    static bool IsKnownEncoding(string charset)
    {
        try { return Encoding.GetEncoding(charset.Trim('"')) is not null; }
        catch (ArgumentException) { return false; }
    }
}

/// <summary>Strings in request bodies: a NUL character is a read error, which the problem reports with its JSON path.</summary>
public sealed class NulFreeStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString();
        return value?.Contains('\0') == true ? throw new JsonException("NUL characters (\\u0000) are not accepted in text") : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
