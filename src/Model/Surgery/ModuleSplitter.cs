using static TorchSharp.torch;

namespace ModuleService.Model.Surgery;

/// <summary>Cuts a ModuleFormer state dict into <see cref="ModulePart"/>s (style guide §1.6: an expert is its slices).</summary>
public static class ModuleSplitter
{
    /// <summary>
    /// Splits <paramref name="stateDict"/> into parts, ordered: embedding; per layer the shared part, the attention
    /// experts and the MLP experts by index; head. Every part tensor is a fresh contiguous copy, so the result
    /// owns its memory and the input is neither changed nor referenced. The <c>attn.mask</c> / <c>attn.cum_weight</c>
    /// buffers are dropped; any other unknown key, missing key, wrong shape or mixed dtype throws
    /// <see cref="ModuleSurgeryException"/>.
    /// </summary>
    public static ModuleSet Split(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ModuleLayout.CheckStateDict(config, stateDict);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parts = new List<ModulePart> { Whole(ModuleKind.Embedding, null, "", config, stateDict) };
        for (var layer = 0; layer < config.Layers; layer++)
        {
            parts.Add(Whole(ModuleKind.LayerShared, layer, ModuleLayout.LayerPrefix(layer), config, stateDict));
            parts.AddRange(Experts(config, stateDict, ModuleKind.AttentionExpert, layer, config.AttentionExperts));
            parts.AddRange(Experts(config, stateDict, ModuleKind.MlpExpert, layer, config.MlpExperts));
        }
        parts.Add(Whole(ModuleKind.Head, null, "", config, stateDict));
        scope.MoveToOuter(parts.SelectMany(part => part.Tensors.Values));
        return new ModuleSet(config, parts);
    }

    /// <summary>Cuts the experts of one kind in one layer; <paramref name="count"/> is the config's expert count.</summary>
    static IEnumerable<ModulePart> Experts(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict,
        ModuleKind kind, int layer, int count)
    {
        var keys = ModuleLayout.MoeKeys(config, kind, layer);
        for (var expert = 0; expert < count; expert++)
        {
            var tensors = new Dictionary<string, Tensor>
            {
                [ModuleLayout.ExpertsWeight] = Copy(stateDict[keys.Experts][expert]),             // (D, A|F)
                [ModuleLayout.OutputExpertsWeight] = Copy(stateDict[keys.OutputExperts][expert]), // (A|F, D)
                [ModuleLayout.RouterWeight] = Copy(stateDict[keys.Router][expert]),               // (G) or (D)
            };
            yield return new ModulePart(kind, layer, expert, ModuleLayout.PartName(kind, layer, expert), tensors);
        }
    }

    /// <summary>A part whose tensors are whole state-dict entries under <paramref name="prefix"/>.</summary>
    static ModulePart Whole(ModuleKind kind, int? layer, string prefix, ModuleFormerConfig config,
        IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var tensors = ModuleLayout.PartShapes(config, kind).Keys
            .ToDictionary(key => key, key => Copy(stateDict[prefix + key]));
        return new ModulePart(kind, layer, null, ModuleLayout.PartName(kind, layer), tensors);
    }

    /// <summary>A contiguous copy that shares no storage with <paramref name="tensor"/>.</summary>
    internal static Tensor Copy(Tensor tensor)
    {
        // clone() keeps the strides of a permuted input; registries store raw contiguous bytes.
        var copy = tensor.clone();
        return copy.is_contiguous() ? copy : copy.contiguous();
    }
}
