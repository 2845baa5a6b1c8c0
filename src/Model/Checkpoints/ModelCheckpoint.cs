using ModuleService.Model.Architecture;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>Checkpoint folders to and from a ready <see cref="ModuleFormerForCausalLM"/>.</summary>
public static class ModelCheckpoint
{
    /// <summary>
    /// Loads, validates and builds the model in eval mode. Safetensors weights (one file or shards) are read
    /// tensor by tensor straight into the model's parameters after checking every header, so peak memory is one
    /// copy of the weights in <paramref name="dtype"/>; pytorch_model.bin goes through a full state dict first.
    /// </summary>
    /// <param name="dtype">weights dtype: Float32 (the reference path) or BFloat16.</param>
    /// <exception cref="CheckpointFormatException">Missing or malformed files, or tensors not matching the config.</exception>
    public static ModuleFormerForCausalLM Load(string directory, ScalarType dtype = ScalarType.Float32)
    {
        var readers = OpenSafetensors(directory);
        if (readers is null)
        {
            var (config, stateDict) = CheckpointLoader.Load(directory, dtype);
            try { return FromStateDict(config, stateDict); }
            finally { foreach (var t in stateDict.Values) t.Dispose(); }
        }
        try { return LoadStreaming(directory, readers, dtype); }
        finally { foreach (var reader in readers) reader.Dispose(); }
    }

    /// <summary>The folder's safetensors files, headers checked; null for other weights or a missing folder (the loader's errors).</summary>
    static List<SafetensorsReader>? OpenSafetensors(string directory)
    {
        var single = Path.Combine(directory, CheckpointLoader.SafetensorsFile);
        if (File.Exists(single)) return [SafetensorsReader.Open(single)];
        var index = Path.Combine(directory, CheckpointLoader.SafetensorsIndexFile);
        return File.Exists(index) ? ShardedCheckpoint.OpenSafetensors(directory, index) : null;
    }

    static ModuleFormerForCausalLM LoadStreaming(string directory, List<SafetensorsReader> readers, ScalarType dtype)
    {
        var configPath = Path.Combine(directory, CheckpointLoader.ConfigFile);
        if (!File.Exists(configPath)) throw new CheckpointFormatException(configPath, "config.json not found in the checkpoint folder");
        var config = ModuleFormerConfig.Load(configPath);
        var owner = readers.SelectMany(r => r.Entries.Values.Select(e => (Reader: r, Entry: e)))
            .ToDictionary(p => p.Entry.Name, StringComparer.Ordinal);
        CheckpointLoader.Validate(config, owner.ToDictionary(p => p.Key, p => (p.Value.Entry.Shape, p.Value.Entry.ScalarType), StringComparer.Ordinal), directory);

        // Validate guarantees every parameter has a tensor of its shape; buffers in the file are skipped.
        return Create(config, dtype, model =>
        {
            foreach (var (name, parameter) in model.named_parameters())
                owner[name].Reader.ReadInto(name, parameter);
        });
    }

    /// <summary>
    /// Creates the model with its weights in <paramref name="dtype"/>, lets <paramref name="fill"/> overwrite them in
    /// place, and returns it in eval mode; the model is disposed if <paramref name="fill"/> throws. Expert weights
    /// are torch.empty, so converting them writes the target memory once and no second copy of the weights exists.
    /// </summary>
    public static ModuleFormerForCausalLM Create(ModuleFormerConfig config, ScalarType dtype, Action<ModuleFormerForCausalLM> fill)
    {
        if (!torch.is_floating_point(dtype)) throw new ArgumentException($"dtype must be a floating type, got {dtype}", nameof(dtype));
        var model = new ModuleFormerForCausalLM(config);
        try
        {
            if (dtype != ScalarType.Float32) model.to(dtype);
            fill(model);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Builds a model from a validated state dict; the tensors are copied into the model's parameters.</summary>
    public static ModuleFormerForCausalLM FromStateDict(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        CheckpointLoader.Validate(config, stateDict);
        return Create(config, stateDict["lm_head.weight"].dtype, model =>
        {
            var (missing, unexpected) = model.load_state_dict(stateDict.ToDictionary(p => p.Key, p => p.Value), strict: true);
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidOperationException($"model and state dict disagree: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
        });
    }

    /// <summary>Writes <c>config.json</c> + <c>model.safetensors</c> with the reference names (and buffers).</summary>
    public static void Save(ModuleFormerForCausalLM model, string directory)
    {
        using var scope = NewDisposeScope();
        CheckpointWriter.Save(directory, model.Config, model.state_dict());
    }
}
