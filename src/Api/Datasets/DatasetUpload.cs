using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;

namespace ModuleService.Api.Datasets;

/// <summary>The parts of a dataset upload request: query parameters, and where the bytes come from.</summary>
static class DatasetUpload
{
    public static Dictionary<string, string[]> Validate(string? name, string? format, out DatasetFormat parsedFormat)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name)) errors["name"] = ["required (query parameter)"];
        else if (!DatasetNames.IsValid(name)) errors["name"] = [DatasetNames.Rule];
        // Names only: a number would bind to an enum value the wire format never shows.
        if (string.IsNullOrEmpty(format) || char.IsAsciiDigit(format[0]) || !Enum.TryParse(format, ignoreCase: true, out parsedFormat)
            || !Enum.IsDefined(parsedFormat))
        {
            parsedFormat = default;
            errors["format"] = ["required (query parameter): text or jsonl"];
        }
        return errors;
    }

    public static bool IsMultipart(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) &&
        type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) && !StringSegment.IsNullOrEmpty(type.Boundary);

    /// <summary>Raw bodies say they are gzip with <c>Content-Encoding</c>; without it the content is sniffed.</summary>
    public static bool IsGzipEncoded(HttpRequest request) =>
        request.Headers.ContentEncoding.Any(e => e is not null && e.Split(',').Any(v => v.Trim() is "gzip" or "x-gzip"));

    /// <summary>
    /// The content of a multipart body's file: the section named <c>file</c>, or the first one with a file name.
    /// Read with MultipartReader rather than ReadFormAsync, which would buffer the file to disk (and stop at
    /// FormOptions' limit) before the handler sees a byte; here the section streams straight into the store, which
    /// enforces the size limit. Null when there is no such section.
    /// </summary>
    public static async Task<Stream?> OpenMultipartFileAsync(HttpRequest request, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value!;
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
            if (HeaderUtilities.RemoveQuotes(disposition.Name).Equals("file", StringComparison.Ordinal) ||
                !StringSegment.IsNullOrEmpty(disposition.FileName) || !StringSegment.IsNullOrEmpty(disposition.FileNameStar))
                return section.Body;
        }
        return null;
    }
}
