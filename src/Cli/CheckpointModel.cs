using System.Diagnostics;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using TorchSharp;
using ModuleService.Model.Checkpoints;
using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>Builds a ready-to-run model (eval mode, requested dtype) from a Hugging Face style checkpoint folder.</summary>
internal static class CheckpointModel
{
    /// <exception cref="CheckpointFormatException">missing or corrupt checkpoint (the loader's message).</exception>
    public static ModuleFormerForCausalLM Load(string directory, ScalarType dtype, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        // The loader converts floating tensors while reading, so a bf16 run never holds an fp32 copy of the weights.
        var (config, stateDict) = CheckpointLoader.Load(directory, dtype);
        ModuleFormerForCausalLM? model = null;
        try
        {
            model = new ModuleFormerForCausalLM(config);
            if (dtype != ScalarType.Float32) model.to(dtype);
            LoadTensorByTensor(model, stateDict);
            model.eval();
            log.WriteLine($"[modsvc] loaded {directory} ({config.Layers} layers, {CommandLine.DTypeName(dtype)}) in {clock.Elapsed.TotalSeconds:F1} s");
            return model;
        }
        catch
        {
            model?.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>
    /// <c>load_state_dict</c> one tensor at a time, freeing each source right after its copy. Expert weights start as
    /// untouched <c>empty</c> memory, so resident memory grows as the state dict shrinks and peaks near one copy of
    /// the weights instead of two (the difference between fitting a 16 GB fp32 MoLM in 24 GiB or not).
    /// The loader has already dropped the <c>attn.mask</c>/<c>attn.cum_weight</c> buffers, which the model does not have.
    /// </summary>
    private static void LoadTensorByTensor(ModuleFormerForCausalLM model, Dictionary<string, Tensor> stateDict)
    {
        var expected = model.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var name in stateDict.Keys.ToList())
        {
            var (_, unexpected) = model.load_state_dict(new Dictionary<string, Tensor> { [name] = stateDict[name] }, strict: false);
            if (unexpected.Count > 0) throw new CliException($"checkpoint tensor '{name}' is not a parameter of the model");
            stateDict[name].Dispose();
            stateDict.Remove(name);
            expected.Remove(name);
        }
        if (expected.Count > 0)
            throw new CliException($"the checkpoint does not set {expected.Count} model tensor(s), e.g. '{expected.First()}'");
    }

    /// <summary>Reads only <c>config.json</c>; failures use the loader's wording.</summary>
    public static ModuleFormerConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, CheckpointLoader.ConfigFile);
        if (!File.Exists(path)) throw new CheckpointFormatException(path, "config.json not found in the checkpoint folder");
        return ModuleFormerConfig.Load(path);
    }
}
