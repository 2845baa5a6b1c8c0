using System.Text.Json;

namespace ModuleService.Api.Inference;

/// <summary>OpenAI's streaming format: <c>data: {chunk}</c> events, then <c>data: [DONE]</c>.</summary>
public static class ServerSentEvents
{
    // Relaxed escaping keeps "<5>"-style token text readable in the stream; the content type is not HTML.
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, IAsyncEnumerable<object> chunks)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(context.RequestAborted);
        await foreach (var chunk in chunks)
        {
            await response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, chunk.GetType(), Json) + "\n\n", context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
        }
        await response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }
}
