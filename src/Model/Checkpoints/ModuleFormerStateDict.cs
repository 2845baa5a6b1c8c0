using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// The reference ModuleFormer state-dict contract (spec §7.4): parameter names and shapes derived from a config,
/// plus the two dead-weight buffers per layer that reference checkpoints carry.
/// </summary>
public static class ModuleFormerStateDict
{
    /// <summary>
    /// Every parameter name with its shape, in the reference module order. Buffers are not included
    /// (see <see cref="BufferShapes"/>). Expert weights are <c>[E, in, out]</c>, Linear weights <c>[out, in]</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> ExpectedShapes(ModuleFormerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long d = config.HiddenSize, a = config.AttentionHidden, f = config.MlpHidden, v = config.VocabSize;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { ["transformer.wte.weight"] = [v, d] };
        for (int i = 0; i < config.Layers; i++)
        {
            var h = $"transformer.h.{i}";
            shapes[$"{h}.ln_1.weight"] = [d];
            shapes[$"{h}.ln_1.bias"] = [d];
            shapes[$"{h}.attn.q_proj.experts.weight"] = [config.AttentionExperts, d, a];
            shapes[$"{h}.attn.q_proj.output_experts.weight"] = [config.AttentionExperts, a, d];
            AddGate(shapes, $"{h}.attn.q_proj.gate", config, config.AttentionExperts);
            // MoLM (one head spanning n_embd) uses the LN1 output itself as keys and values: no projections.
            if (!config.IdentityKeyValue)
            {
                shapes[$"{h}.attn.k_proj.weight"] = [a, d];
                shapes[$"{h}.attn.k_proj.bias"] = [a];
                shapes[$"{h}.attn.v_proj.weight"] = [a, d];
                shapes[$"{h}.attn.v_proj.bias"] = [a];
            }
            shapes[$"{h}.ln_2.weight"] = [d];
            shapes[$"{h}.ln_2.bias"] = [d];
            shapes[$"{h}.mlpf.experts.weight"] = [config.MlpExperts, d, f];
            shapes[$"{h}.mlpf.output_experts.weight"] = [config.MlpExperts, f, d];
            AddGate(shapes, $"{h}.mlpf.gate", config, config.MlpExperts);
        }
        shapes["transformer.ln_f.weight"] = [d];
        shapes["transformer.ln_f.bias"] = [d];
        shapes["lm_head.weight"] = [v, d];
        return shapes;
    }

    static void AddGate(Dictionary<string, long[]> shapes, string prefix, ModuleFormerConfig config, long experts)
    {
        if (config.GateType == "linear")
        {
            shapes[$"{prefix}.w_gate.weight"] = [experts, config.HiddenSize];
            return;
        }
        // nn.Sequential(Linear, GELU, Dropout, Linear): only indices 0 and 3 hold parameters.
        shapes[$"{prefix}.w_gate.0.weight"] = [config.GatingSize, config.HiddenSize];
        shapes[$"{prefix}.w_gate.0.bias"] = [config.GatingSize];
        shapes[$"{prefix}.w_gate.3.weight"] = [experts, config.GatingSize];
    }

    /// <summary>Side length S = history_length + block_size of the per-layer buffers.</summary>
    public static long BufferSize(ModuleFormerConfig config) => (long)config.HistoryLength + config.BlockSize;

    /// <summary>Name of layer <paramref name="layer"/>'s int8 causal-mask buffer.</summary>
    public static string MaskName(int layer) => $"transformer.h.{layer}.attn.mask";

    /// <summary>Name of layer <paramref name="layer"/>'s float strictly-lower-triangular buffer.</summary>
    public static string CumWeightName(int layer) => $"transformer.h.{layer}.attn.cum_weight";

    /// <summary>The buffer names for this config, each with its reference shape <c>[S, S]</c>.</summary>
    public static IReadOnlyDictionary<string, long[]> BufferShapes(ModuleFormerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long s = BufferSize(config);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (int i = 0; i < config.Layers; i++)
        {
            shapes[MaskName(i)] = [s, s];
            shapes[CumWeightName(i)] = [s, s];
        }
        return shapes;
    }

    /// <summary>
    /// True for names shaped like a layer buffer (<c>transformer.h.{i}.attn.mask</c> / <c>.attn.cum_weight</c>).
    /// The forward never reads them, so loaders drop them.
    /// </summary>
    public static bool IsBuffer(string name) =>
        name.StartsWith("transformer.h.", StringComparison.Ordinal)
        && (name.EndsWith(".attn.mask", StringComparison.Ordinal) || name.EndsWith(".attn.cum_weight", StringComparison.Ordinal));

    /// <summary>
    /// Builds the reference buffers: <c>mask</c> = int8 <c>tril(ones(S, S))</c> (diagonal included) and
    /// <c>cum_weight</c> = float32 <c>tril(ones(S, S), -1)</c>. One pair serves every layer; the caller disposes it.
    /// </summary>
    public static (Tensor Mask, Tensor CumWeight) CreateBuffers(ModuleFormerConfig config)
    {
        long s = BufferSize(config);
        using var scope = torch.NewDisposeScope();
        var mask = torch.ones(s, s, ScalarType.Int8).tril(0);
        var cumWeight = torch.ones(s, s, ScalarType.Float32).tril(-1);
        return (mask.MoveToOuterDisposeScope(), cumWeight.MoveToOuterDisposeScope());
    }
}
