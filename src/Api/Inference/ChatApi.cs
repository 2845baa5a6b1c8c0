using System.Text.Json;
using ModuleService.Api.RateLimiting;

namespace ModuleService.Api.Inference;

/// <summary>Chat completions on base models through <see cref="ChatTemplate"/>.</summary>
public static class ChatApi
{
    static readonly string[] Roles = ["system", "developer", "user", "assistant"];

    public static async Task<IResult> CompleteAsync(HttpContext context, ServedModels served, CompletionRunner runner)
    {
        var request = await RequestBody.ReadAsync<ChatCompletionRequest>(context);
        if (string.IsNullOrWhiteSpace(request.Model)) throw new RequestFieldException("model", "is required");
        if (request.Messages is not { Count: > 0 }) throw new RequestFieldException("messages", "at least one message is required");
        for (int i = 0; i < request.Messages.Count; i++)
            if (request.Messages[i] is null) throw new RequestFieldException($"messages[{i}]", "must be an object with role and content");
            else if (!Roles.Contains(request.Messages[i].Role))
                throw new RequestFieldException($"messages[{i}].role", $"must be one of {string.Join(", ", Roles)}");

        var model = await served.ResolveAsync(request.Model, context.RequestAborted);
        var completion = new CompletionRequest
        {
            Model = request.Model,
            Prompt = JsonSerializer.SerializeToElement(ChatTemplate.Render(request.Messages)),
            MaxTokens = request.MaxCompletionTokens ?? request.MaxTokens ?? 256,
            Temperature = request.Temperature, TopP = request.TopP, N = request.N, Stop = request.Stop, Seed = request.Seed,
            Modules = request.Modules,
        };
        CompletionPlan plan;
        // The rendered messages are the prompt: a tokenizer error is about the messages (e.g. an id-only model).
        try { plan = CompletionPlan.From(completion, model, [ChatTemplate.UserStop]); }
        catch (RequestFieldException e) when (e.Field == "prompt") { throw new RequestFieldException("messages", e.Message); }
        if (context.RateLimits().TryAdmit(plan.ReservedTokens) is { } refused) return refused;
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var id = CompletionRunner.NewId("chatcmpl");

        if (request.Stream == true)
        {
            var pieces = await AboutMessages(runner.StartStreamAsync(plan, context.RequestAborted));
            var trims = new Dictionary<int, StreamTrim>();
            await ServerSentEvents.WriteAsync(context, pieces.Select(piece =>
            {
                // The first chunk of a choice carries the role; the content is trimmed as the whole message is.
                bool first = !trims.TryGetValue(piece.Index, out var trim);
                if (first) trims[piece.Index] = trim = new StreamTrim();
                var text = trim!.Next(piece.Text);
                var delta = new ChatDelta(first ? "assistant" : null, text.Length > 0 || first ? text : null);
                return (object)new ChatCompletionResponse(id, "chat.completion.chunk", created, model.Id, model.Key,
                    [new ChatChoice(piece.Index, null, delta, piece.FinishReason)], null, null);
            }));
            return Results.Empty;
        }
        var (choices, usage) = await AboutMessages(runner.RunAsync(plan, context.RequestAborted));
        return TypedResults.Ok(new ChatCompletionResponse(id, "chat.completion", created, model.Id, model.Key,
            choices.Select(c => new ChatChoice(c.Choice.Index, new ChatDelta("assistant", c.Choice.Text.Trim()), null,
                ChoiceBuilder.Reason(c.Result.FinishReason))).ToList(), usage, plan.Modules));
    }

    /// <summary>The engine's prompt checks (e.g. its length limit) are about the messages a chat request sent.</summary>
    static async Task<T> AboutMessages<T>(Task<T> submitted)
    {
        try { return await submitted; }
        catch (ModuleService.Inference.Batching.CompletionValidationException e) when (e.Field == "prompt")
        {
            throw new RequestFieldException("messages", $"the rendered chat prompt is not accepted: {e.Detail}");
        }
    }
}

/// <summary>
/// Streams a reply so that its pieces concatenate to the non-streamed message, <c>Text.Trim()</c>: whitespace
/// before the first visible character is dropped, and whitespace is held back until visible text follows it
/// (at the end of the reply it is never sent).
/// </summary>
internal sealed class StreamTrim
{
    bool begun;
    string pending = "";

    public string Next(string piece)
    {
        if (!begun)
        {
            piece = piece.TrimStart();
            if (piece.Length == 0) return "";
            begun = true;
        }
        var text = pending + piece;
        var shown = text.TrimEnd();
        pending = text[shown.Length..];
        return shown;
    }
}
