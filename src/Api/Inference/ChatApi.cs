using System.Text.Json;

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
            if (!Roles.Contains(request.Messages[i].Role))
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
        var plan = CompletionPlan.From(completion, model, [ChatTemplate.UserStop]);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var id = CompletionRunner.NewId("chatcmpl");

        if (request.Stream == true)
        {
            var pieces = await runner.StartStreamAsync(plan, context.RequestAborted);
            var started = new HashSet<int>();
            await ServerSentEvents.WriteAsync(context, pieces.Select(piece =>
            {
                // The reply follows "Assistant:"; its first piece drops the leading space and carries the role.
                bool first = started.Add(piece.Choice.Index);
                var text = first ? piece.Text.TrimStart() : piece.Text;
                var delta = new ChatDelta(first ? "assistant" : null, text.Length > 0 || first ? text : null);
                return (object)new ChatCompletionResponse(id, "chat.completion.chunk", created, model.Id, model.Key,
                    [new ChatChoice(piece.Choice.Index, null, delta, piece.FinishReason)], null, null);
            }));
            return Results.Empty;
        }
        var (choices, usage) = await runner.RunAsync(plan, context.RequestAborted);
        return TypedResults.Ok(new ChatCompletionResponse(id, "chat.completion", created, model.Id, model.Key,
            choices.Select(c => new ChatChoice(c.Choice.Index, new ChatDelta("assistant", c.Choice.Text.Trim()), null,
                ChoiceBuilder.Reason(c.Result.FinishReason))).ToList(), usage, plan.Modules));
    }
}
