using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// Loads Hugging Face style ModuleFormer folders (<c>config.json</c> plus weights as <c>model.safetensors</c>,
/// sharded safetensors, <c>pytorch_model.bin</c> or sharded .bin, tried in that order).
/// </summary>
public static class CheckpointLoader
{
    /// <summary>The configuration file of a checkpoint folder.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>Single-file safetensors weights (preferred).</summary>
    public const string SafetensorsFile = "model.safetensors";
    /// <summary>Index of sharded safetensors weights.</summary>
    public const string SafetensorsIndexFile = "model.safetensors.index.json";
    /// <summary>Single-file PyTorch (torch.save zip) weights.</summary>
    public const string PyTorchFile = "pytorch_model.bin";
    /// <summary>Index of sharded PyTorch weights.</summary>
    public const string PyTorchIndexFile = "pytorch_model.bin.index.json";

    /// <summary>
    /// Loads and validates a checkpoint folder. The per-layer buffers (<c>attn.mask</c>, <c>attn.cum_weight</c>)
    /// are accepted and dropped, so the result holds exactly <see cref="ModuleFormerStateDict.ExpectedShapes"/>.
    /// </summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="dtype">Floating tensors are converted to this type (default float32; e.g. BFloat16 to halve
    /// memory); null keeps each tensor's file dtype. Integer tensors are never converted.</param>
    /// <exception cref="CheckpointFormatException">Missing or malformed files, or tensors not matching the config.</exception>
    /// <exception cref="ModuleFormerConfigException">config.json does not describe a supported ModuleFormer.</exception>
    public static (ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict) Load(string directory, ScalarType? dtype = ScalarType.Float32)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
            throw new CheckpointFormatException(configPath, "config.json not found in the checkpoint folder");
        var config = ModuleFormerConfig.Load(configPath);
        var stateDict = LoadStateDict(directory, dtype);
        try
        {
            Validate(config, stateDict, directory);
            foreach (var name in stateDict.Keys.Where(ModuleFormerStateDict.IsBuffer).ToList())
            {
                stateDict[name].Dispose();
                stateDict.Remove(name);
            }
            return (config, stateDict);
        }
        catch
        {
            DisposeAll(stateDict);
            throw;
        }
    }

    /// <summary>
    /// Loads every tensor stored in the folder's weight files, buffers included, without checking names.
    /// </summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="dtype">Target type for floating tensors (null keeps the file dtype); see <see cref="Load"/>.</param>
    /// <exception cref="CheckpointFormatException">No weight file, a missing shard, a tensor in two shards, or a malformed file.</exception>
    public static Dictionary<string, Tensor> LoadStateDict(string directory, ScalarType? dtype = ScalarType.Float32)
    {
        if (dtype is { } target && !torch.is_floating_point(target))
            throw new ArgumentException($"dtype must be a floating type, got {target}", nameof(dtype));
        if (!Directory.Exists(directory))
            throw new CheckpointFormatException(directory, "checkpoint folder does not exist");
        string In(string file) => Path.Combine(directory, file);

        if (File.Exists(In(SafetensorsFile)))
        {
            using var reader = SafetensorsReader.Open(In(SafetensorsFile));
            return ShardedCheckpoint.ReadAll(reader, dtype, new Dictionary<string, Tensor>(StringComparer.Ordinal));
        }
        if (File.Exists(In(SafetensorsIndexFile)))
            return ShardedCheckpoint.Load(directory, In(SafetensorsIndexFile), safetensors: true, dtype);
        if (File.Exists(In(PyTorchFile)))
            return ShardedCheckpoint.Convert(PyTorchCheckpointReader.Load(In(PyTorchFile)), dtype);
        if (File.Exists(In(PyTorchIndexFile)))
            return ShardedCheckpoint.Load(directory, In(PyTorchIndexFile), safetensors: false, dtype);
        throw new CheckpointFormatException(directory,
            $"no weights found: expected {SafetensorsFile}, {SafetensorsIndexFile}, {PyTorchFile} or {PyTorchIndexFile}");
    }

    /// <summary>
    /// Checks <paramref name="stateDict"/> against <see cref="ModuleFormerStateDict.ExpectedShapes"/>: every
    /// parameter present, floating point and of the right shape, and nothing else except the per-layer buffers.
    /// </summary>
    /// <param name="config">The model configuration.</param>
    /// <param name="stateDict">Tensors by name.</param>
    /// <param name="source">File or folder named in the error message.</param>
    /// <exception cref="CheckpointFormatException">Names the first bad tensor with expected and actual shape, and counts the others.</exception>
    public static void Validate(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict, string source = "state dict") =>
        Validate(config, stateDict.ToDictionary(p => p.Key, p => (p.Value.shape, p.Value.dtype), StringComparer.Ordinal), source);

    /// <summary>The same checks on names, shapes and dtypes alone (e.g. from safetensors headers, before any data is read).</summary>
    internal static void Validate(ModuleFormerConfig config, IReadOnlyDictionary<string, (long[] Shape, ScalarType DType)> stateDict, string source)
    {
        var expected = ModuleFormerStateDict.ExpectedShapes(config);
        var buffers = ModuleFormerStateDict.BufferShapes(config);
        var problems = new List<(string Name, string Problem)>();
        foreach (var (name, shape) in expected)
        {
            if (!stateDict.TryGetValue(name, out var tensor))
                problems.Add((name, $"missing (expected shape {Format(shape)}, got none)"));
            else if (!tensor.Shape.SequenceEqual(shape))
                problems.Add((name, $"wrong shape: expected {Format(shape)}, got {Format(tensor.Shape)}"));
            else if (!torch.is_floating_point(tensor.DType))
                problems.Add((name, $"has dtype {tensor.DType}, expected a floating-point type"));
        }
        // Buffers are dead weight (the forward rebuilds them), so any shape or dtype is acceptable.
        foreach (var (name, tensor) in stateDict)
            if (!expected.ContainsKey(name) && !buffers.ContainsKey(name))
                problems.Add((name, $"unexpected tensor with shape {Format(tensor.Shape)} (expected shape: none, not part of this config)"));
        if (problems.Count == 0) return;

        var (first, problem) = problems[0];
        var more = problems.Count == 1 ? "" :
            $"; {problems.Count - 1} more problem(s): " + string.Join("; ", problems.Skip(1).Take(5).Select(p => $"'{p.Name}' {p.Problem}"));
        throw new CheckpointFormatException(source, problem + more, first);
    }

    internal static string Format(long[] shape) => SafetensorsHeader.Format(shape);

    internal static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) t.Dispose();
    }

    static void DisposeAll(Dictionary<string, Tensor> stateDict) => DisposeAll(stateDict.Values);
}
