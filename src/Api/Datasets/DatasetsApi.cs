using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using ModuleService.Api.Auth;
using ModuleService.Api.Infrastructure;
using ModuleService.Jobs;
using ModuleService.Jobs.Datasets;
using ModuleService.Registry;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Stages;

namespace ModuleService.Api.Datasets;

/// <summary>Training datasets: uploaded UTF-8 text or JSONL, stored once by content, readable by training jobs.</summary>
public static class DatasetsApi
{
    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/datasets").WithTags("Datasets");
        group.MapPost("/", UploadAsync).RequireAuthorization(ApiScopes.Train).WithMetadata(StreamingUpload.Instance)
            .WithName("UploadDataset")
            .WithSummary("Upload a dataset (?name=&format=text|jsonl): the raw body, or the multipart field 'file'; gzip is accepted.")
            .WithDescription("text: UTF-8, documents separated by blank lines; jsonl: one JSON object with a string \"text\" per line. " +
                             "The content is validated and stored as it streams in (limit Datasets:MaxUploadBytes, 413 beyond). " +
                             "An invalid line gives 422 naming it (target \"line N\") and stores nothing. The same bytes in the " +
                             "same format again return the existing dataset with 200. A new dataset gets a dataset-stats job that " +
                             "counts its tokens (Datasets:CountTokensOnUpload; its id is in the X-Job-Id header).")
            .Accepts<Stream>("application/octet-stream", "text/plain", "application/jsonl", "application/x-ndjson", "application/json", "application/gzip", "multipart/form-data")
            .DisableAntiforgery()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("ListDatasets").WithSummary("List datasets (newest first), filtered by name, format or stage; archived ones on request.");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetDataset").WithSummary("A dataset by id or name: bytes, documents, token counts per tokenizer, stage.");
        group.MapGet("/{id}/download", DownloadAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("DownloadDataset").WithSummary("The stored content (decompressed, as validated), streamed; supports Range and ETag.")
            .Produces<Stream>(StatusCodes.Status200OK, "text/plain", "application/jsonl");
        group.MapPost("/{id}/archive", ArchiveAsync).RequireAuthorization(ApiScopes.Train)
            .WithName("ArchiveDataset").WithSummary("Archive (the registry's delete): hidden from listings, still readable, restorable.");
        group.MapPost("/{id}/restore", RestoreAsync).RequireAuthorization(ApiScopes.Train)
            .WithName("RestoreDataset").WithSummary("Restore an archived dataset.");
        return app;
    }

    static async Task<Results<Created<DatasetView>, Ok<DatasetView>, ValidationProblem, ProblemHttpResult>> UploadAsync(
        HttpRequest request, DatasetStore datasets, JobService jobs, IOptions<DatasetOptions> options, string? name, string? format, CancellationToken ct)
    {
        if (DatasetUpload.Validate(name, format, out var parsedFormat) is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors);
        var limit = options.Value.MaxUploadBytes;
        var multipart = DatasetUpload.IsMultipart(request);
        // A declared length over the limit is refused before reading (multipart framing adds a little, so only raw bodies).
        if (!multipart && request.ContentLength > limit) return TooLarge(limit);
        try
        {
            var body = multipart ? await DatasetUpload.OpenMultipartFileAsync(request, ct) : request.Body;
            if (body is null)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = ["required: a multipart field 'file' with the dataset"] });
            var (dataset, created) = await datasets.UploadAsync(name!, parsedFormat, body, !multipart && DatasetUpload.IsGzipEncoded(request),
                request.HttpContext.User.Actor(), ct);
            if (!created) return TypedResults.Ok(dataset);
            if (options.Value.CountTokensOnUpload)
            {
                var stats = await jobs.SubmitAsync(DatasetStatsJob.Name, JsonSerializer.SerializeToElement(new { dataset = dataset.Id }),
                    request.HttpContext.User.Actor(), ct);
                request.HttpContext.Response.Headers["X-Job-Id"] = stats.Id.ToString();
            }
            return TypedResults.Created($"/v1/datasets/{dataset.Id}", dataset);
        }
        catch (DatasetTooLargeException e)
        {
            return TooLarge(e.Limit);
        }
        catch (Exception e) when (multipart && e is IOException or InvalidDataException)
        {
            // MultipartReader's words for a body that ends before its closing boundary or has no parts at all.
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [$"the multipart body is malformed or truncated: {e.Message}"] });
        }
    }

    static async Task<Ok<Page<DatasetView>>> ListAsync(DatasetStore datasets, string? name, string? format, string? stage,
        bool? includeArchived, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await datasets.ListAsync(new DatasetQuery(name, QueryEnum.Parse<DatasetFormat>(format, "format"),
            QueryEnum.Parse<Stage>(stage, "stage"), includeArchived ?? false), new PageRequest(offset ?? 0, limit ?? 50), ct));

    static async Task<Ok<DatasetView>> GetAsync(DatasetStore datasets, string id, CancellationToken ct) =>
        TypedResults.Ok(await datasets.GetAsync(id, ct));

    static async Task<FileStreamHttpResult> DownloadAsync(DatasetStore datasets, string id, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(id, ct);
        var content = await datasets.OpenReadAsync(dataset.Id, ct);
        var (contentType, extension) = dataset.Format == DatasetFormat.Jsonl ? ("application/jsonl", "jsonl") : ("text/plain; charset=utf-8", "txt");
        return TypedResults.File(content, contentType, $"{dataset.Name}.{extension}",
            entityTag: new EntityTagHeaderValue($"\"{dataset.Sha256}\""), enableRangeProcessing: true);
    }

    static async Task<Ok<StageChange>> ArchiveAsync(DatasetStore datasets, string id, HttpContext context, CancellationToken ct,
        string? reason = null) =>
        TypedResults.Ok(await datasets.ArchiveAsync(id, context.User.Actor(), reason, ct));

    static async Task<Ok<StageChange>> RestoreAsync(DatasetStore datasets, string id, HttpContext context, CancellationToken ct,
        string? reason = null) =>
        TypedResults.Ok(await datasets.RestoreAsync(id, context.User.Actor(), reason, ct));

    static ProblemHttpResult TooLarge(long limit) => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Payload too large", detail: $"the upload is larger than the limit of {limit} bytes (Datasets:MaxUploadBytes)");
}
