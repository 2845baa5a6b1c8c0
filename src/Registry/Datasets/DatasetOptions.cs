using System.ComponentModel.DataAnnotations;

namespace ModuleService.Registry.Datasets;

/// <summary>Settings of dataset uploads (configuration section <c>Datasets</c>).</summary>
public sealed class DatasetOptions
{
    public const string SectionName = "Datasets";

    /// <summary>Largest upload, counted both as received and after decompression (so a gzip bomb stops here too).</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// Largest single document (a JSONL line, or a text document's lines). Readers hold one document in memory at a
    /// time; this bounds that, and the line buffer while validating.
    /// </summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Queue a <c>dataset-stats</c> job after each new upload, so token counts appear without asking.</summary>
    public bool CountTokensOnUpload { get; set; } = true;
}
