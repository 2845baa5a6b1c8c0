using ModuleService.Model.Architecture;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>Checkpoint folders to and from a ready <see cref="ModuleFormerForCausalLM"/>.</summary>
public static class ModelCheckpoint
{
    /// <summary>Loads, validates and builds the model in eval mode.</summary>
    /// <param name="dtype">weights dtype: Float32 (the reference path) or BFloat16.</param>
    public static ModuleFormerForCausalLM Load(string directory, ScalarType dtype = ScalarType.Float32)
    {
        var (config, stateDict) = CheckpointLoader.Load(directory, dtype);
        try { return FromStateDict(config, stateDict); }
        finally { foreach (var t in stateDict.Values) t.Dispose(); }
    }

    /// <summary>Builds a model from a validated state dict; the tensors are copied into the model's parameters.</summary>
    public static ModuleFormerForCausalLM FromStateDict(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        CheckpointLoader.Validate(config, stateDict);
        var dtype = stateDict["lm_head.weight"].dtype;
        var model = new ModuleFormerForCausalLM(config);
        if (dtype != ScalarType.Float32) model.to(dtype);
        var (missing, unexpected) = model.load_state_dict(stateDict.ToDictionary(p => p.Key, p => p.Value), strict: true);
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidOperationException($"model and state dict disagree: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
        model.eval();
        return model;
    }

    /// <summary>Writes <c>config.json</c> + <c>model.safetensors</c> with the reference names (and buffers).</summary>
    public static void Save(ModuleFormerForCausalLM model, string directory)
    {
        using var scope = NewDisposeScope();
        CheckpointWriter.Save(directory, model.Config, model.state_dict());
    }
}
