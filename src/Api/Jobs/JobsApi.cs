using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Api.Auth;
using ModuleService.Api.Inference;
using ModuleService.Jobs;
using ModuleService.Registry;
using ModuleService.Registry.Jobs;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Storage;

namespace ModuleService.Api.Jobs;

/// <summary>Background jobs on Hangfire workers: submit, watch (progress, events), cancel, download reports.</summary>
public static class JobsApi
{
    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/jobs").WithTags("Jobs");
        group.MapPost("/", SubmitAsync).RequireAuthorization()
            .WithName("SubmitJob").WithSummary("Submit a job: {\"type\": \"finetune|extend|…\", …parameters}. 202 with Location: /v1/jobs/{id}.")
            .WithDescription("Types: pretrain, extend, finetune (assembly, dataset, validationDataset, modules, loadConcentrationWeight, " +
                             "steps or tokens, learningRate, batchSize, sequenceLength, seed, gradientCheckpointing), prune, evaluate, import, dataset-stats " +
                             "(dataset, tokenizers). The scope needed depends on the type: train for extend, finetune, evaluate and " +
                             "dataset-stats, admin for prune, pretrain and import. Bad parameters give 400 naming the field; an unknown " +
                             "assembly or dataset 404.")
            .Accepts<JsonElement>("application/json").Produces<JobView>(StatusCodes.Status202Accepted).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read).WithName("ListJobs").WithSummary("Jobs, newest first, filtered by type or status.");
        group.MapGet("/{id:guid}", GetAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetJob").WithSummary("Status, progress (step/total, tokens/s, ETA), latest losses, error and what the job made.");
        group.MapGet("/{id:guid}/events", EventsAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetJobEvents").WithSummary("The job's event log: paged JSON (?after=&limit=), or live server-sent events with Accept: text/event-stream.");
        group.MapPost("/{id:guid}/cancel", CancelAsync).RequireAuthorization(ApiScopes.Train)
            .WithName("CancelJob").WithSummary("Cancel: reaches a training loop within one step; the job ends cancelled and registers nothing.");
        group.MapGet("/{id:guid}/files/{name}", FileAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetJobFile").WithSummary("A file the job wrote (report.md, report.json, PNG plots).");
        return app;
    }

    static async Task<Results<Accepted<JobView>, ValidationProblem, ForbidHttpResult>> SubmitAsync(HttpContext context, JobService jobs, JobCatalog catalog)
    {
        var body = (await RequestBody.ReadAsync<JsonDocument>(context)).RootElement;
        JobParameters.RequireStorableText(body);
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("type", out var typeValue) || typeValue.ValueKind != JsonValueKind.String)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["type"] = [$"required; one of {string.Join(", ", catalog.Types.Select(t => t.Name).Order())}"] });
        var type = catalog.Get(typeValue.GetString()!);
        if (!context.User.HasScope(type.Scope)) return TypedResults.Forbid();
        var job = await jobs.SubmitAsync(type.Name, body, context.User.Actor(), context.RequestAborted);
        return TypedResults.Accepted($"/v1/jobs/{job.Id}", job);
    }

    static async Task<Ok<Page<JobView>>> ListAsync(JobService jobs, string? type, JobStatus? status, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await jobs.ListAsync(type, status, new PageRequest(offset ?? 0, limit ?? 50), ct));

    static async Task<Ok<JobView>> GetAsync(JobService jobs, Guid id, CancellationToken ct) => TypedResults.Ok(await jobs.GetAsync(id, ct));

    static async Task<Ok<JobView>> CancelAsync(JobService jobs, Guid id, HttpContext context, CancellationToken ct) =>
        TypedResults.Ok(await jobs.CancelAsync(id, context.User.Actor(), ct));

    static async Task<IResult> EventsAsync(HttpContext context, JobService jobs, Guid id, long? after, int? limit)
    {
        var ct = context.RequestAborted;
        if (!context.Request.Headers.Accept.ToString().Contains("text/event-stream"))
            return TypedResults.Ok(await jobs.EventsAsync(id, after ?? 0, limit ?? 200, ct));
        await ServerSentEvents.WriteAsync(context, Follow(jobs, id, after ?? 0, ct));
        return Results.Empty;
    }

    /// <summary>Polls the event log until the job ends, so a client sees events as they happen.</summary>
    static async IAsyncEnumerable<object> Follow(JobService jobs, Guid id, long after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var e in await jobs.EventsAsync(id, after, 200, ct))
            {
                after = e.Id;
                yield return e;
            }
            var job = await jobs.GetAsync(id, ct);
            if (job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled && (await jobs.EventsAsync(id, after, 1, ct)).Count == 0) yield break;
            await Task.Delay(500, ct);
        }
    }

    static async Task<FileStreamHttpResult> FileAsync(JobService jobs, BlobStore blobs, Guid id, string name, CancellationToken ct)
    {
        var (artifact, content) = await jobs.OpenArtifactAsync(id, name, blobs.OpenReadAsync, ct);
        return TypedResults.Stream(content, artifact.ContentType, artifact.Name);
    }
}
