using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModuleService.Api.Infrastructure;

/// <summary>
/// Input no endpoint can use, refused before a handler sees it. PostgreSQL text cannot hold a NUL character, so a
/// NUL in a query filter or a JSON string used to fail deep inside a query, as a 500.
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
            return next(context);
        });
        return app;
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
