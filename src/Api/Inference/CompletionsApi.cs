using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Api.Infrastructure;
using ModuleService.Api.RateLimiting;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Inference;

/// <summary>OpenAI-compatible serving of registry assemblies: /v1/models, /v1/completions, /v1/chat/completions.</summary>
public static class CompletionsApi
{
    public static IEndpointRouteBuilder MapInference(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Inference").RequireAuthorization(ApiScopes.Infer);
        group.MapGet("/models", ModelsApi.ListAsync).WithName("ListModels")
            .WithSummary("Active assemblies: id name@version, and name alone for the latest active version.");
        group.MapPost("/completions", CompleteAsync).WithName("CreateCompletion")
            .WithSummary("OpenAI text completion from an assembly; stream: true sends server-sent events.")
            .WithDescription("Extra field `modules: {exclude: [...], include: [...]}` masks experts (module names such as " +
                             "layer0.attn.expert1, or module version ids) for this request only; the response's `modules` says which ran. " +
                             RateLimitNote)
            .Accepts<CompletionRequest>("application/json")
            .Produces<CompletionResponse>().ProducesValidationProblem().ProducesProblem(404).RequireKeyRateLimits();
        group.MapPost("/chat/completions", ChatApi.CompleteAsync).WithName("CreateChatCompletion")
            .WithSummary("OpenAI chat completion. Base models see the messages as 'User: …' / 'Assistant: …' lines ending in 'Assistant:'; the reply stops at the next '\\nUser:'.")
            .WithDescription(RateLimitNote)
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletionResponse>().ProducesValidationProblem().ProducesProblem(404).RequireKeyRateLimits();
        return app;
    }

    const string RateLimitNote = "Per-key limits (requests and tokens per minute; tokens = prompt + max_tokens × choices, charged at " +
        "admission) answer 429 with Retry-After; responses carry x-ratelimit-limit/remaining/reset-requests and -tokens headers.";

    static async Task<IResult> CompleteAsync(HttpContext context, ServedModels served, CompletionRunner runner)
    {
        var request = await RequestBody.ReadAsync<CompletionRequest>(context);
        if (string.IsNullOrWhiteSpace(request.Model)) throw new RequestFieldException("model", "is required");
        var model = await served.ResolveAsync(request.Model, context.RequestAborted);
        var plan = CompletionPlan.From(request, model);
        if (context.RateLimits().TryAdmit(plan.ReservedTokens) is { } refused) return refused;
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var id = CompletionRunner.NewId("cmpl");

        if (request.Stream == true)
        {
            var pieces = await runner.StartStreamAsync(plan, context.RequestAborted);
            await ServerSentEvents.WriteAsync(context, pieces.Select(piece =>
                (object)new CompletionResponse(id, "text_completion", created, model.Id, model.Key,
                    [new CompletionChoice(piece.Text, piece.Index, piece.Logprobs, piece.FinishReason)], null, null)));
            return Results.Empty;
        }
        var (choices, usage) = await runner.RunAsync(plan, context.RequestAborted);
        return TypedResults.Ok(new CompletionResponse(id, "text_completion", created, model.Id, model.Key,
            choices.Select(c => new CompletionChoice(c.Choice.Text, c.Choice.Index, c.Choice.Logprobs, ChoiceBuilder.Reason(c.Result.FinishReason))).ToList(),
            usage, plan.Modules));
    }
}

/// <summary>Request bodies read by hand, so a type error names the JSON path at fault.</summary>
public static class RequestBody
{
    // Strict numbers: the web defaults would take "n": "2", a wrong type for OpenAI clients and for us. A name given
    // twice is refused rather than resolved by whichever reader comes later.
    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        Converters = { new NulFreeStringConverter() },
    };

    public static async Task<T> ReadAsync<T>(HttpContext context) where T : class
    {
        if (context.Request.HasJsonContentType() is false)
            throw new RequestFieldException("body", "Content-Type must be application/json");
        var body = Utf8Body(context.Request);
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(body, Options, context.RequestAborted)
                ?? throw new RequestFieldException("body", "must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new RequestFieldException(string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.'),
                $"malformed or wrongly typed JSON: {e.Message}");
        }
        finally
        {
            if (body != context.Request.Body) await body.DisposeAsync();
        }
    }

    /// <summary>
    /// The body as UTF-8: another charset in the Content-Type is decoded as the framework's JSON binding does (unknown
    /// ones were refused by <see cref="RequestGuards"/>); reading its bytes as UTF-8 regardless took a body that did
    /// not match its header.
    /// </summary>
    static Stream Utf8Body(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.Encoding is { } encoding
            && encoding.CodePage != System.Text.Encoding.UTF8.CodePage
            ? System.Text.Encoding.CreateTranscodingStream(request.Body, encoding, System.Text.Encoding.UTF8, leaveOpen: true)
            : request.Body;
}
