using static TorchSharp.torch;

namespace ModuleService.Model.Surgery;

/// <summary>
/// Extending and pruning experts in place of the <c>[E, …]</c> tensors (spec §9.3, §9.4). Inputs are never changed;
/// results own fresh tensors and carry no attention buffers. Every layer changes alike because a ModuleFormer
/// config has one expert count for all layers.
/// </summary>
public static class ExpertSurgery
{
    /// <summary>
    /// Appends <paramref name="count"/> new experts of <paramref name="kind"/> to every layer, after the existing ones
    /// (old experts keep their indices and bits). New expert matrices are drawn from U(−1/in, +1/in) with in the
    /// matrix's input size, new router rows from N(0, <c>initializer_range</c>) (spec §5.4), in float32 and then cast
    /// to the checkpoint's dtype; draws go layer by layer from <paramref name="generator"/> (global RNG when null).
    /// </summary>
    public static (ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict) AppendExperts(
        ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict, ModuleKind kind, int count,
        Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var newConfig = WithExpertCount(config, kind, ExpertCount(config, kind) + count);
        var stateDictOut = Rebuild(config, stateDict, kind, (layer, keys) =>
        {
            var experts = stateDict[keys.Experts];             // (E, D, A|F)
            var outputExperts = stateDict[keys.OutputExperts]; // (E, A|F, D)
            var router = stateDict[keys.Router];               // (E, G) or (E, D)
            var inputSize = experts.shape[1];
            var hiddenSize = outputExperts.shape[1];
            var newExperts = empty([count, inputSize, hiddenSize], ScalarType.Float32, experts.device)
                .uniform_(-1.0 / inputSize, 1.0 / inputSize, generator);
            var newOutputExperts = empty([count, hiddenSize, inputSize], ScalarType.Float32, experts.device)
                .uniform_(-1.0 / hiddenSize, 1.0 / hiddenSize, generator);
            var newRouter = empty([count, router.shape[1]], ScalarType.Float32, router.device)
                .normal_(0, config.InitializerRange, generator);
            return (cat([experts, newExperts.to(experts.dtype)], 0),
                cat([outputExperts, newOutputExperts.to(experts.dtype)], 0),
                cat([router, newRouter.to(router.dtype)], 0));
        });
        return (newConfig, stateDictOut);
    }

    /// <summary>
    /// Keeps, in layer i, the experts <paramref name="keepPerLayer"/>[i] of <paramref name="kind"/> in the order given
    /// (so it can also reorder), slicing the expert tensors and the router's last Linear rows alike.
    /// Every layer must keep the same number of experts, at least k, without repeats.
    /// </summary>
    /// <exception cref="ModuleSurgeryException">Naming the layer's group (<c>layer1.mlp</c>) when its list is invalid.</exception>
    public static (ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict) DropExperts(
        ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict, ModuleKind kind,
        IReadOnlyList<IReadOnlyList<int>> keepPerLayer)
    {
        var existing = ExpertCount(config, kind);
        if (keepPerLayer.Count != config.Layers)
            throw new ArgumentException($"{keepPerLayer.Count} keep lists given for {config.Layers} layers", nameof(keepPerLayer));
        var topK = kind == ModuleKind.AttentionExpert ? config.AttentionTopK : config.MlpTopK;
        for (var layer = 0; layer < config.Layers; layer++)
        {
            var keep = keepPerLayer[layer];
            var group = ModuleLayout.GroupName(kind, layer);
            if (keep.Count < topK) throw new ModuleSurgeryException(group, $"keeps {keep.Count} experts but k is {topK}");
            if (keep.Count != keepPerLayer[0].Count)
                throw new ModuleSurgeryException(group, $"keeps {keep.Count} experts but layer0 keeps {keepPerLayer[0].Count}");
            foreach (var index in keep.Where(index => index < 0 || index >= existing))
                throw new ModuleSurgeryException(group, $"expert index {index} is outside 0..{existing - 1}");
            if (keep.Distinct().Count() != keep.Count) throw new ModuleSurgeryException(group, "an expert index is repeated");
        }
        var newConfig = WithExpertCount(config, kind, keepPerLayer[0].Count);
        var stateDictOut = Rebuild(config, stateDict, kind, (layer, keys) =>
        {
            var indices = tensor(keepPerLayer[layer].Select(index => (long)index).ToArray(), device: stateDict[keys.Experts].device);
            return (stateDict[keys.Experts].index_select(0, indices),
                stateDict[keys.OutputExperts].index_select(0, indices),
                stateDict[keys.Router].index_select(0, indices));
        });
        return (newConfig, stateDictOut);
    }

    /// <summary><see cref="DropExperts"/> with the same kept indices in every layer.</summary>
    public static (ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict) SelectExperts(
        ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict, ModuleKind kind, IReadOnlyList<int> keep) =>
        DropExperts(config, stateDict, kind, Enumerable.Repeat(keep, config.Layers).ToList());

    /// <summary>
    /// Copies <paramref name="stateDict"/> in reference key order, replacing each layer's three <paramref name="kind"/>
    /// expert tensors by <paramref name="replace"/>'s results.
    /// </summary>
    static Dictionary<string, Tensor> Rebuild(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict,
        ModuleKind kind, Func<int, (string Experts, string OutputExperts, string Router), (Tensor, Tensor, Tensor)> replace)
    {
        ModuleLayout.CheckStateDict(config, stateDict);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = new Dictionary<string, Tensor>();
        var replaced = new Dictionary<string, Tensor>();
        for (var layer = 0; layer < config.Layers; layer++)
        {
            var keys = ModuleLayout.MoeKeys(config, kind, layer);
            (replaced[keys.Experts], replaced[keys.OutputExperts], replaced[keys.Router]) = replace(layer, keys);
        }
        foreach (var key in ModuleLayout.StateDictShapes(config).Keys)
            result[key] = replaced.TryGetValue(key, out var tensor) ? tensor : ModuleSplitter.Copy(stateDict[key]);
        scope.MoveToOuter(result.Values);
        return result;
    }

    static int ExpertCount(ModuleFormerConfig config, ModuleKind kind) => kind switch
    {
        ModuleKind.AttentionExpert => config.AttentionExperts,
        ModuleKind.MlpExpert => config.MlpExperts,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "only expert kinds can be appended or dropped"),
    };

    static ModuleFormerConfig WithExpertCount(ModuleFormerConfig config, ModuleKind kind, int count)
    {
        var changed = kind == ModuleKind.AttentionExpert ? config with { AttentionExperts = count } : config with { MlpExperts = count };
        changed.Validate();
        return changed;
    }
}
