using static TorchSharp.torch;

namespace ModuleService.Model.Surgery;

/// <summary>Builds a ModuleFormer state dict from <see cref="ModulePart"/>s of one family.</summary>
public static partial class ModuleAssembler
{
    /// <summary>
    /// Stacks, per layer, the attention experts and the MLP experts in the order given (the list position is the new
    /// expert index, <see cref="ModulePart.ExpertIndex"/> is ignored) and copies the shared, embedding and head parts.
    /// The returned config is <paramref name="family"/> with <c>n_att_experts</c> / <c>n_mlp_experts</c> set to the
    /// per-layer counts; k is kept. The state dict is in reference key order, owns fresh tensors, and has no
    /// attention buffers.
    /// </summary>
    /// <exception cref="ModuleSurgeryException">A part does not fit the family (see <see cref="ModuleLayout.CheckPart"/>),
    /// its dtype differs from the first part's, two parts share a name or a layer has two shared parts, the
    /// embedding, head or a layer's shared part is missing, a layer has fewer than k experts of a kind, or layers
    /// have different expert counts (a ModuleFormer config has one count for all layers).</exception>
    public static (ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict) Assemble(
        ModuleFormerConfig family, IReadOnlyList<ModulePart> parts)
    {
        family.Validate();
        var layout = Index(family, parts, part => ModuleLayout.CheckPart(family, part));
        var config = AssembledConfig(family, layout);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var built = new Dictionary<string, Tensor>();
        foreach (var part in layout.Singletons.Values)
        {
            var prefix = part.Layer is { } layer ? ModuleLayout.LayerPrefix(layer) : "";
            foreach (var (key, tensor) in part.Tensors) built[prefix + key] = ModuleSplitter.Copy(tensor);
        }
        foreach (var ((layer, kind), experts) in layout.Experts)
        {
            var keys = ModuleLayout.MoeKeys(config, kind, layer);
            built[keys.Experts] = Stack(experts, ModuleLayout.ExpertsWeight);             // (E, D, A|F)
            built[keys.OutputExperts] = Stack(experts, ModuleLayout.OutputExpertsWeight); // (E, A|F, D)
            built[keys.Router] = Stack(experts, ModuleLayout.RouterWeight);               // (E, G) or (E, D)
        }
        // Reference key order keeps exported files deterministic whatever order the parts came in.
        var stateDict = ModuleLayout.StateDictShapes(config).Keys.ToDictionary(key => key, key => built[key]);
        scope.MoveToOuter(stateDict.Values);
        return (config, stateDict);
    }

    sealed record PartIndex<T>(
        Dictionary<(ModuleKind Kind, int? Layer), T> Singletons,
        SortedDictionary<(int Layer, ModuleKind Kind), List<T>> Experts) where T : IModulePartIdentity;

    /// <summary>
    /// Checks every part with <paramref name="check"/> (which returns its dtype, or null when it has no tensors to
    /// look at) and groups them; throws on the first problem, in part order.
    /// </summary>
    static PartIndex<T> Index<T>(ModuleFormerConfig family, IReadOnlyList<T> parts, Func<T, ScalarType?> check) where T : IModulePartIdentity
    {
        var index = new PartIndex<T>(new(), new());
        var names = new HashSet<string>();
        var dtypes = new PartDTypes();
        foreach (var part in parts)
        {
            if (check(part) is { } partType) dtypes.Agree(part.Name, partType);
            if (!names.Add(part.Name))
                throw new ModuleSurgeryException(part.Name, "duplicate part name");
            if (ModuleLayout.IsExpert(part.Kind))
            {
                var key = (part.Layer!.Value, part.Kind);
                if (!index.Experts.TryGetValue(key, out var group)) index.Experts[key] = group = [];
                group.Add(part);
            }
            else if (!index.Singletons.TryAdd((part.Kind, part.Layer), part))
            {
                throw new ModuleSurgeryException(part.Name,
                    $"duplicate {part.Kind} part (already given as {index.Singletons[(part.Kind, part.Layer)].Name})");
            }
        }
        RequireSingleton(index, ModuleKind.Embedding, null);
        for (var layer = 0; layer < family.Layers; layer++) RequireSingleton(index, ModuleKind.LayerShared, layer);
        RequireSingleton(index, ModuleKind.Head, null);
        return index;
    }

    static void RequireSingleton<T>(PartIndex<T> index, ModuleKind kind, int? layer) where T : IModulePartIdentity
    {
        if (!index.Singletons.ContainsKey((kind, layer)))
            throw new ModuleSurgeryException(ModuleLayout.PartName(kind, layer), "part is missing");
    }

    /// <summary>The one per-layer count of <paramref name="kind"/> experts, checked against k and across layers.</summary>
    static int ExpertCount<T>(ModuleFormerConfig family, PartIndex<T> index, ModuleKind kind, int topK) where T : IModulePartIdentity
    {
        var first = 0;
        for (var layer = 0; layer < family.Layers; layer++)
        {
            var count = index.Experts.TryGetValue((layer, kind), out var group) ? group.Count : 0;
            var name = ModuleLayout.GroupName(kind, layer);
            if (count < topK)
                throw new ModuleSurgeryException(name, $"{count} experts given but k is {topK}");
            if (layer == 0) first = count;
            else if (count != first)
                throw new ModuleSurgeryException(name,
                    $"{count} experts given but layer0 has {first}; ModuleFormer needs the same count in every layer");
        }
        return first;
    }

    /// <summary>The family config with the per-layer expert counts of the given parts (k is kept).</summary>
    static ModuleFormerConfig AssembledConfig<T>(ModuleFormerConfig family, PartIndex<T> layout) where T : IModulePartIdentity
    {
        var config = family with
        {
            AttentionExperts = ExpertCount(family, layout, ModuleKind.AttentionExpert, family.AttentionTopK),
            MlpExperts = ExpertCount(family, layout, ModuleKind.MlpExpert, family.MlpTopK),
        };
        config.Validate();
        return config;
    }

    /// <summary>One dtype for all parts of an assembly: the first part checked sets it.</summary>
    sealed class PartDTypes
    {
        ScalarType? dtype;
        string? firstPart;

        public void Agree(string part, ScalarType partType)
        {
            dtype ??= partType;
            firstPart ??= part;
            if (partType != dtype) throw new ModuleSurgeryException(part, $"dtype {partType} differs from {dtype} of part {firstPart}");
        }
    }

    static Tensor Stack(List<ModulePart> experts, string key) => stack(experts.Select(part => part.Tensors[key]), 0);
}
