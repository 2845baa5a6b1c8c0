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
        // Safetensors are read tensor by tensor into the parameters: peak memory is one copy of the weights.
        var model = ModelCheckpoint.Load(directory, dtype);
        log.WriteLine($"[modsvc] loaded {directory} ({model.Config.Layers} layers, {CommandLine.DTypeName(dtype)}) in {clock.Elapsed.TotalSeconds:F1} s");
        return model;
    }

    /// <summary>Reads only <c>config.json</c>; failures use the loader's wording.</summary>
    public static ModuleFormerConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, CheckpointLoader.ConfigFile);
        if (!File.Exists(path)) throw new CheckpointFormatException(path, "config.json not found in the checkpoint folder");
        return ModuleFormerConfig.Load(path);
    }
}
