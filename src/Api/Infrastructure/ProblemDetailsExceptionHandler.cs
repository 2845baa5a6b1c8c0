using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Api.Inference;
using ModuleService.Inference.Batching;
using ModuleService.Registry;
using ModuleService.Registry.Hosting;

namespace ModuleService.Api.Infrastructure;

/// <summary>
/// Maps domain exceptions to ProblemDetails: what was wrong and where (the field, module, tensor or file at fault
/// goes into the <c>target</c> extension). Anything unmapped is a 500 with no internals in the body.
/// </summary>
public sealed class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>A restarting PostgreSQL is usually back within seconds; clients should not hammer it meanwhile.</summary>
    public const int DatabaseRetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var outage = DatabaseOutage.Is(exception);
        var (status, title, target) = exception switch
        {
            _ when outage => (StatusCodes.Status503ServiceUnavailable, "Database unavailable", null),
            NotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Key),
            ConflictException => (StatusCodes.Status409Conflict, "Conflict", null),
            InvalidModuleOperationException e => (StatusCodes.Status422UnprocessableEntity, "Invalid module operation", e.Target),
            CheckpointFormatException e => (StatusCodes.Status422UnprocessableEntity, "Invalid checkpoint", e.TensorName ?? e.File),
            ModuleFormerConfigException e => (StatusCodes.Status422UnprocessableEntity, "Invalid config", e.Field),
            ModuleSurgeryException e => (StatusCodes.Status422UnprocessableEntity, "Invalid module operation", e.Part),
            QueryParameterException e => (StatusCodes.Status400BadRequest, "Bad request", e.Parameter),
            BadHttpRequestException { InnerException: System.Text.Json.JsonException json } e => (e.StatusCode, "Bad request", JsonField(json)),
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } e => (e.StatusCode, "Unsupported media type", null),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e => (e.StatusCode, "Content Too Large", null),
            BadHttpRequestException e => (e.StatusCode, "Bad request", null),
            RequestFieldException e => (StatusCodes.Status400BadRequest, "Invalid request", e.Field),
            ModuleService.Jobs.JobParameterException e => (StatusCodes.Status400BadRequest, "Invalid job parameters", e.Field),
            CompletionValidationException e => (StatusCodes.Status400BadRequest, "Invalid request", e.Field),
            QueueFullException => (StatusCodes.Status429TooManyRequests, "Too many requests", null),
            // Not the client's fault and not a bug to hide: the named stored data needs restoring before it can be served.
            BlobIntegrityException e => (StatusCodes.Status503ServiceUnavailable, "Stored data failed verification", e.Owner ?? e.Sha256),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "Client closed request", null),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", null),
        };
        if (outage)
        {
            // Expected while PostgreSQL restarts: one line, no stack trace; and no pooled connection of the old server reused.
            logger.LogWarning("Database unavailable on {Method} {Path}: {Message}", context.Request.Method, context.Request.Path, exception.GetBaseException().Message);
            DatabaseOutage.ForgetPooledConnections();
        }
        else if (status >= 500) logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        if (context.Response.HasStarted) return false;

        context.Response.StatusCode = status;
        if (exception is QueueFullException full)
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(full.RetryAfter.TotalSeconds)).ToString();
        if (outage) context.Response.Headers.RetryAfter = DatabaseRetryAfterSeconds.ToString();
        string? message = exception switch
        {
            CompletionValidationException c => c.Detail,
            // Left to TooLargeBodyDetail, which describes a too-large body the same way whichever path refused it.
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => null,
            // The framework's "Failed to read parameter ... as JSON" names the handler's parameter; the reader's says what and where.
            BadHttpRequestException { InnerException: System.Text.Json.JsonException json } => $"malformed or wrongly typed JSON: {json.Message}",
            _ => exception.Message,
        };
        var details = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = outage ? "The database cannot be reached; retry shortly."
                : status >= 500 && exception is not BlobIntegrityException ? "The server failed to handle the request; see its log." : message,
        };
        if (target is not null) details.Extensions["target"] = target;
        // Field errors use the ValidationProblem shape too, so clients find the field under "errors".
        if (status == StatusCodes.Status400BadRequest && target is not null)
            details.Extensions["errors"] = new Dictionary<string, string[]> { [target] = [message ?? title] };
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = details, Exception = exception });
    }

    /// <summary><c>$.add[0].layer</c> → <c>add[0].layer</c>; the document itself is "body".</summary>
    static string JsonField(System.Text.Json.JsonException json) =>
        string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');
}
