using System.Text.Json;

namespace ModuleService.Registry.Modules;

/// <summary>Where a module version came from; stored as jsonb on the version.</summary>
/// <param name="Source"><c>import</c> or <c>job</c>.</param>
/// <param name="Path">Import: the checkpoint folder, or <c>upload</c> for a tar.</param>
/// <param name="Assembly">Import: the assembly name it was imported as.</param>
public sealed record Provenance(string Source, string? Path = null, string? Assembly = null, string? JobId = null, string? DatasetId = null)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static Provenance Import(string path, string assembly) => new("import", Path: path, Assembly: assembly);

    public static Provenance Job(string jobId, string? datasetId) => new("job", JobId: jobId, DatasetId: datasetId);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static Provenance Parse(string json) => JsonSerializer.Deserialize<Provenance>(json, Json) ?? new("unknown");
}
