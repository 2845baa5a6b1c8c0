using System.Text.Json;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// Sharded checkpoints (<c>*.index.json</c> with a <c>weight_map</c> of tensor name → shard file) and the
/// dtype conversion shared by all load paths.
/// </summary>
internal static class ShardedCheckpoint
{
    public static Dictionary<string, Tensor> Load(string directory, string indexPath, bool safetensors, ScalarType? dtype)
    {
        var (weightMap, shards) = ReadShards(directory, indexPath);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var shard in shards)
            {
                var path = Path.Combine(directory, shard.Key);
                if (safetensors)
                {
                    // Check the header against the index before reading any data: cheap failure on a bad folder.
                    using var reader = SafetensorsReader.Open(path);
                    CheckShard(path, shard.Key, reader.Entries.Keys, shard, weightMap, owner);
                    ReadAll(reader, dtype, result);
                }
                else
                {
                    var tensors = PyTorchCheckpointReader.Load(path);
                    try { CheckShard(path, shard.Key, tensors.Keys, shard, weightMap, owner); }
                    catch
                    {
                        CheckpointLoader.DisposeAll(tensors.Values);
                        throw;
                    }
                    foreach (var (name, tensor) in Convert(tensors, dtype)) result.Add(name, tensor);
                }
            }
            return result;
        }
        catch
        {
            CheckpointLoader.DisposeAll(result.Values);
            throw;
        }
    }

    /// <summary>
    /// Opens every shard of a safetensors index and checks each header against the index (no data is read);
    /// the caller disposes the readers.
    /// </summary>
    public static List<SafetensorsReader> OpenSafetensors(string directory, string indexPath)
    {
        var (weightMap, shards) = ReadShards(directory, indexPath);
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        var readers = new List<SafetensorsReader>(shards.Count);
        try
        {
            foreach (var shard in shards)
            {
                readers.Add(SafetensorsReader.Open(Path.Combine(directory, shard.Key)));
                CheckShard(readers[^1].Path, shard.Key, readers[^1].Entries.Keys, shard, weightMap, owner);
            }
            return readers;
        }
        catch
        {
            foreach (var reader in readers) reader.Dispose();
            throw;
        }
    }

    static (Dictionary<string, string> WeightMap, List<IGrouping<string, string>> Shards) ReadShards(string directory, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var shards = weightMap.GroupBy(p => p.Value, p => p.Key, StringComparer.Ordinal).ToList();
        foreach (var shard in shards)
        {
            var path = Path.Combine(directory, shard.Key);
            if (!File.Exists(path))
                throw new CheckpointFormatException(path, $"shard listed in {Path.GetFileName(indexPath)} for {shard.Count()} tensor(s) does not exist", shard.First());
        }
        return (weightMap, shards);
    }

    /// <summary>
    /// A shard must hold exactly the tensors the index assigns to it; a name in two shards would make the loaded
    /// weights depend on shard order, so it is an error.
    /// </summary>
    static void CheckShard(string path, string shardFile, IEnumerable<string> present, IEnumerable<string> listed,
        Dictionary<string, string> weightMap, Dictionary<string, string> owner)
    {
        var presentSet = present.ToHashSet(StringComparer.Ordinal);
        foreach (var name in presentSet)
        {
            if (owner.TryGetValue(name, out var other))
                throw new CheckpointFormatException(path, $"tensor appears in two shards: {other} and {shardFile}", name);
            if (!weightMap.TryGetValue(name, out var mapped))
                throw new CheckpointFormatException(path, "tensor is stored in this shard but not listed in the index weight_map", name);
            if (mapped != shardFile)
                throw new CheckpointFormatException(path, $"tensor appears in two shards: the index assigns it to {mapped}, but it is also stored in {shardFile}", name);
            owner[name] = shardFile;
        }
        foreach (var name in listed)
            if (!presentSet.Contains(name))
                throw new CheckpointFormatException(path, "tensor is listed in the index for this shard but the shard does not contain it", name);
    }

    static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(indexPath, $"index is not valid JSON: {e.Message}", inner: e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(indexPath, "index has no \"weight_map\" object");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                var file = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                // Shards are plain file names next to the index; anything else could read outside the folder.
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new CheckpointFormatException(indexPath, $"weight_map entry {p.Value.GetRawText()} is not a shard file name", p.Name);
                if (weightMap.TryGetValue(p.Name, out var earlier) && earlier != file)
                    throw new CheckpointFormatException(indexPath, $"tensor appears in two shards: {earlier} and {file}", p.Name);
                weightMap[p.Name] = file;
            }
            return weightMap;
        }
    }

    /// <summary>Reads every tensor of <paramref name="reader"/> into <paramref name="into"/>, converting as it goes.</summary>
    public static Dictionary<string, Tensor> ReadAll(SafetensorsReader reader, ScalarType? dtype, Dictionary<string, Tensor> into)
    {
        var added = new List<string>();
        try
        {
            // Convert tensor by tensor so a bf16 file never needs bf16 and fp32 copies of everything at once.
            foreach (var entry in reader.Entries.Values.OrderBy(e => e.Begin))
            {
                into.Add(entry.Name, ConvertOne(reader.ReadTensor(entry.Name), dtype));
                added.Add(entry.Name);
            }
            return into;
        }
        catch
        {
            foreach (var name in added)
            {
                into[name].Dispose();
                into.Remove(name);
            }
            throw;
        }
    }

    public static Dictionary<string, Tensor> Convert(Dictionary<string, Tensor> tensors, ScalarType? dtype)
    {
        foreach (var name in tensors.Keys.ToList())
            tensors[name] = ConvertOne(tensors[name], dtype);
        return tensors;
    }

    static Tensor ConvertOne(Tensor tensor, ScalarType? dtype)
    {
        if (dtype is not { } target || !tensor.is_floating_point() || tensor.dtype == target) return tensor;
        var converted = tensor.to_type(target);
        tensor.Dispose();
        return converted;
    }
}
