using Microsoft.AspNetCore.Http.Metadata;

namespace ModuleService.Api.Infrastructure;

/// <summary>
/// Endpoint metadata that lifts the server's request-body limit (ModuleService:MaxRequestBodyBytes) for uploads that
/// stream to storage and count their own bytes against a limit of their own, so a 2 GiB dataset or a checkpoint tar
/// can come in while every other endpoint stays bounded.
/// </summary>
public sealed class StreamingUpload : IRequestSizeLimitMetadata
{
    public static readonly StreamingUpload Instance = new();

    public long? MaxRequestBodySize => null;
}
