using System.Text.Json;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;

namespace ModuleService.Cli;

/// <summary>What <c>inspect</c> found in the weight files, compared with what the config implies.</summary>
/// <param name="Files">the weight file(s), relative to the checkpoint folder.</param>
/// <param name="Checked">false when the format needs a full read (pickle) and --verify was not given.</param>
/// <param name="Parameters">parameter values found (null when not checked).</param>
internal sealed record WeightsSummary(string Format, IReadOnlyList<string> Files, bool Checked, int Tensors, int Buffers, long? Parameters);

/// <summary>
/// Checks a checkpoint's tensor names and shapes against the config without loading the weights when the format
/// allows it (safetensors headers), so inspecting a multi-GB checkpoint takes milliseconds.
/// </summary>
internal static class CheckpointWeights
{
    public static WeightsSummary Inspect(string directory, ModuleFormerConfig config, bool verify)
    {
        string In(string file) => Path.Combine(directory, file);
        if (verify) return FullLoad(directory);
        if (File.Exists(In(CheckpointLoader.SafetensorsFile)))
            return FromHeaders(directory, config, "safetensors", [CheckpointLoader.SafetensorsFile]);
        if (File.Exists(In(CheckpointLoader.SafetensorsIndexFile)))
            return FromHeaders(directory, config, "sharded safetensors", ShardsOf(In(CheckpointLoader.SafetensorsIndexFile)));
        foreach (var (file, format) in new[] { (CheckpointLoader.PyTorchFile, "pytorch"), (CheckpointLoader.PyTorchIndexFile, "sharded pytorch") })
            if (File.Exists(In(file))) return new WeightsSummary(format, [file], Checked: false, 0, 0, null);
        throw new CheckpointFormatException(directory,
            $"no weights found: expected {CheckpointLoader.SafetensorsFile}, {CheckpointLoader.SafetensorsIndexFile}, {CheckpointLoader.PyTorchFile} or {CheckpointLoader.PyTorchIndexFile}");
    }

    private static IReadOnlyList<string> ShardsOf(string indexPath)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        if (!index.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(indexPath, "no \"weight_map\" object");
        return map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static WeightsSummary FromHeaders(string directory, ModuleFormerConfig config, string format, IReadOnlyList<string> files)
    {
        var expected = ModuleFormerStateDict.ExpectedShapes(config);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int tensors = 0, buffers = 0;
        long parameters = 0;
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path)) throw new CheckpointFormatException(path, "shard listed in the index is missing");
            using var reader = SafetensorsReader.Open(path);
            foreach (var (name, entry) in reader.Entries)
            {
                tensors++;
                if (ModuleFormerStateDict.IsBuffer(name)) { buffers++; continue; }
                if (!expected.TryGetValue(name, out var shape))
                    throw new CheckpointFormatException(path, $"unexpected tensor with shape {FormatShape(entry.Shape)} (not part of this config)", name);
                if (!shape.SequenceEqual(entry.Shape))
                    throw new CheckpointFormatException(path, $"wrong shape: expected {FormatShape(shape)}, got {FormatShape(entry.Shape)}", name);
                seen.Add(name);
                parameters += entry.Shape.Aggregate(1L, (a, b) => a * b);
            }
        }
        var missing = expected.Keys.FirstOrDefault(n => !seen.Contains(n));
        if (missing is not null)
            throw new CheckpointFormatException(Path.Combine(directory, files[0]), $"missing (expected shape {FormatShape(expected[missing])}, got none)", missing);
        return new WeightsSummary(format, files, Checked: true, tensors, buffers, parameters);
    }

    /// <summary>--verify: read every tensor with the real loader (any format), then count.</summary>
    private static WeightsSummary FullLoad(string directory)
    {
        var all = CheckpointLoader.LoadStateDict(directory, dtype: null);
        try
        {
            CheckpointLoader.Validate(CheckpointModel.ReadConfig(directory), all, directory);
            int buffers = all.Keys.Count(ModuleFormerStateDict.IsBuffer);
            long parameters = all.Where(kv => !ModuleFormerStateDict.IsBuffer(kv.Key)).Sum(kv => kv.Value.numel());
            var files = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>()
                .Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".bin", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToList();
            return new WeightsSummary("loaded in full", files, Checked: true, all.Count, buffers, parameters);
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }

    private static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
