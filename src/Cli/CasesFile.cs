using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModuleService.Cli;

/// <summary>One scoring input: (B, T) token ids and an optional (B, T) 0/1 mask.</summary>
internal sealed record ScoreCase(string Name, long[][] InputIds, long[][]? AttentionMask)
{
    public int Batch => InputIds.Length;
    public int Time => InputIds[0].Length;
}

/// <summary>
/// Reads <c>{"cases": [{"name", "input_ids", "attention_mask"}, ...]}</c>. Fixture files carry megabytes of other
/// keys (logits, hidden states, routing); the serializer reads the file as a stream and skips unmapped members
/// without building them, so only the ids are ever materialised.
/// </summary>
internal static class CasesFile
{
    private sealed class FileDto
    {
        [JsonPropertyName("cases")] public List<CaseDto?>? Cases { get; set; }
    }

    private sealed class CaseDto
    {
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("input_ids")] public long[][]? InputIds { get; set; }
        [JsonPropertyName("attention_mask")] public long[][]? AttentionMask { get; set; }
    }

    public static IReadOnlyList<ScoreCase> Load(string path)
    {
        if (!File.Exists(path)) throw new CliException($"cases file not found: {path}");
        FileDto? file;
        using (var stream = File.OpenRead(path))
        {
            try { file = JsonSerializer.Deserialize<FileDto>(stream); }
            catch (JsonException e) { throw new CliException($"{path}: not a valid cases file: {e.Message}"); }
        }
        if (file?.Cases is null) throw new CliException($"{path}: expected a JSON object with a \"cases\" array");
        var cases = new List<ScoreCase>(file.Cases.Count);
        for (int i = 0; i < file.Cases.Count; i++) cases.Add(Validate(file.Cases[i], i, path));
        return cases;
    }

    private static ScoreCase Validate(CaseDto? dto, int index, string path)
    {
        var where = $"{path}: case {index}{(dto?.Name is { } n ? $" '{n}'" : "")}";
        if (dto is null) throw new CliException($"{where}: is null");
        if (string.IsNullOrEmpty(dto.Name)) throw new CliException($"{where}: \"name\" is missing or empty");
        var ids = dto.InputIds;
        if (ids is null || ids.Length == 0 || ids[0] is null || ids[0].Length == 0)
            throw new CliException($"{where}: \"input_ids\" must be a non-empty [batch][time] array");
        int time = ids[0].Length;
        if (ids.Any(row => row is null || row.Length != time)) throw new CliException($"{where}: \"input_ids\" rows differ in length");
        if (dto.AttentionMask is { } mask)
        {
            if (mask.Length != ids.Length || mask.Any(row => row is null || row.Length != time))
                throw new CliException($"{where}: \"attention_mask\" must have the shape of input_ids ({ids.Length}×{time})");
            if (mask.Any(row => row.Any(v => v is not (0 or 1))))
                throw new CliException($"{where}: \"attention_mask\" values must be 0 or 1");
        }
        return new ScoreCase(dto.Name, ids, dto.AttentionMask);
    }
}
