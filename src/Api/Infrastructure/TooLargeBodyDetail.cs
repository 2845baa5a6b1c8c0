using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using ModuleService.Api.Hosting;

namespace ModuleService.Api.Infrastructure;

/// <summary>
/// A body over the limit is refused by the framework while it reads the body, with a bare 413; this says which limit
/// it was, how to change it, and where large bodies belong.
/// </summary>
public static class TooLargeBodyDetail
{
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status != StatusCodes.Status413PayloadTooLarge || context.ProblemDetails.Detail is not null) return;
        var http = context.HttpContext;
        long limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize
                     ?? http.RequestServices.GetRequiredService<IOptions<ModuleServiceOptions>>().Value.MaxRequestBodyBytes;
        var sent = http.Request.ContentLength is { } length ? $"of {length} bytes " : "";
        context.ProblemDetails.Detail = $"the request body {sent}is larger than the limit of {limit} bytes " +
                                        "(ModuleService:MaxRequestBodyBytes); only checkpoint imports and dataset uploads take more";
        context.ProblemDetails.Extensions["target"] = "body";
    }
}
