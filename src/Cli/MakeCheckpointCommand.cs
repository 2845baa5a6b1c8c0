using System.Diagnostics;
using System.Text;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>
/// <c>modsvc make-checkpoint</c>: a random checkpoint of any size written tensor by tensor, so a 4.1B-parameter
/// MoLM-shaped folder can be made on a machine that could not hold it twice (the loading benchmark's input).
/// </summary>
public static class MakeCheckpointCommand
{
    public const string Name = "make-checkpoint";

    public const string Usage = """
        Usage: modsvc make-checkpoint --config CONFIG.json --out DIR [--dtype fp32|bf16] [--seed S] [--layers N]

        Writes DIR/config.json and DIR/model.safetensors with the reference tensor names and random weights:
        LayerNorm weights 1 and biases 0, everything else N(0, initializer_range). Tensors are made and written one
        at a time, so memory holds one tensor (at most ~270 MB for MoLM-350M-4B), not the model. The per-layer
        attn.mask / attn.cum_weight buffers are left out (the loaders do not need them).

          --config FILE      model config (e.g. src/Cli/bench-configs/molm-350m-4b.json)
          --out DIR          output folder (created; existing files replaced)
          --dtype fp32|bf16  weight dtype (default fp32)
          --seed S           random seed (default 0)
          --layers N         override n_layer

        """;

    private static readonly CommandSpec Spec = new(Name, Usage, ["--config", "--out", "--dtype", "--seed", "--layers"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var config = ModuleFormerConfig.Load(options.Required("--config"));
            var directory = options.Required("--out");
            var dtype = options.DType();
            long seed = options.OptionalLong("--seed") ?? 0;
            if (options.OptionalInt("--layers", min: 1) is int layers) config = config with { Layers = layers };
            config.Validate();

            var clock = Stopwatch.StartNew();
            Directory.CreateDirectory(directory);
            long bytes = Write(directory, config, dtype, seed);
            stderr.WriteLine($"[make-checkpoint] {config.Layers} layers, {CommandLine.DTypeName(dtype)}, {bytes / 1e9:F2} GB in {clock.Elapsed.TotalSeconds:F1} s");
            stdout.WriteLine(Path.GetFullPath(directory));
            return ExitCodes.Ok;
        });

    /// <summary>Writes the folder; returns the size of model.safetensors in bytes.</summary>
    internal static long Write(string directory, ModuleFormerConfig config, ScalarType dtype, long seed)
    {
        var specs = ModuleFormerStateDict.ExpectedShapes(config)
            .Select(p => new SafetensorsWriter.TensorSpec(p.Key, dtype, p.Value)).ToList();
        using var generator = new Generator((ulong)seed);
        var modelPath = Path.Combine(directory, CheckpointLoader.SafetensorsFile);
        SafetensorsWriter.Save(modelPath, specs, spec => Random(spec, config.InitializerRange, generator));
        File.WriteAllBytes(Path.Combine(directory, CheckpointLoader.ConfigFile), Encoding.UTF8.GetBytes(config.ToJson()));
        return new FileInfo(modelPath).Length;
    }

    private static Tensor Random(SafetensorsWriter.TensorSpec spec, double std, Generator generator)
    {
        bool layerNorm = spec.Name.Contains(".ln_", StringComparison.Ordinal);
        if (layerNorm && spec.Name.EndsWith(".weight", StringComparison.Ordinal)) return ones(spec.Shape, spec.DType);
        if (layerNorm || spec.Name.EndsWith(".bias", StringComparison.Ordinal)) return zeros(spec.Shape, spec.DType);
        // Drawn in fp32 (one tensor at a time) so fp32 and bf16 folders of one seed hold the same values up to rounding.
        using var values = empty(spec.Shape, ScalarType.Float32).normal_(0, std, generator);
        return values.to_type(spec.DType);
    }
}
