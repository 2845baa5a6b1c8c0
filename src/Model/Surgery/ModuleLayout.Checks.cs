using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace ModuleService.Model.Surgery;

public static partial class ModuleLayout
{
    /// <summary>
    /// Checks that <paramref name="part"/> fits <paramref name="family"/>: layer and expert index present where the
    /// kind needs them, layer in range, exactly the tensors of <see cref="PartShapes"/> with those shapes, one dtype.
    /// Throws <see cref="ModuleSurgeryException"/> naming the part; returns the part's dtype.
    /// </summary>
    public static ScalarType CheckPart(ModuleFormerConfig family, ModulePart part)
    {
        void Require(bool ok, string problem)
        {
            if (!ok) throw new ModuleSurgeryException(part.Name, problem);
        }
        CheckIdentity(family, part);

        var expected = PartShapes(family, part.Kind);
        foreach (var key in part.Tensors.Keys)
            Require(expected.ContainsKey(key), $"unexpected tensor '{key}' for a {part.Kind} part");
        ScalarType? dtype = null;
        foreach (var (key, shape) in expected)
        {
            Require(part.Tensors.TryGetValue(key, out var tensor), $"missing tensor '{key}'");
            Require(tensor!.shape.SequenceEqual(shape),
                $"tensor '{key}' has shape {Format(tensor.shape)} but the family config needs {Format(shape)}");
            dtype ??= tensor.dtype;
            Require(tensor.dtype == dtype, $"tensor '{key}' is {tensor.dtype} but the part's other tensors are {dtype}");
        }
        return dtype!.Value;
    }

    /// <summary>
    /// The checks of <see cref="CheckPart"/> that need no tensors: layer and expert index present where the kind
    /// needs them, layer in range. Throws <see cref="ModuleSurgeryException"/> naming the part.
    /// </summary>
    public static void CheckIdentity(ModuleFormerConfig family, IModulePartIdentity part)
    {
        void Require(bool ok, string problem)
        {
            if (!ok) throw new ModuleSurgeryException(part.Name, problem);
        }
        var global = part.Kind is ModuleKind.Embedding or ModuleKind.Head;
        Require(global == (part.Layer is null), global ? "a global part must not have a layer" : "layer is missing");
        Require(part.Layer is null || part.Layer >= 0 && part.Layer < family.Layers,
            $"layer {part.Layer} is outside the family's 0..{family.Layers - 1}");
        bool expert = IsExpert(part.Kind);
        Require(expert == (part.ExpertIndex is not null), expert ? "expert index is missing" : "only expert parts have an expert index");
    }

    /// <summary>True for <see cref="ModuleKind.AttentionExpert"/> and <see cref="ModuleKind.MlpExpert"/>.</summary>
    public static bool IsExpert(ModuleKind kind) => kind is ModuleKind.AttentionExpert or ModuleKind.MlpExpert;

    /// <summary>
    /// Checks a full state dict against <paramref name="config"/> (keys, shapes, one floating dtype), ignoring the
    /// attention buffers. Throws <see cref="ModuleSurgeryException"/> naming the key; returns the dtype.
    /// </summary>
    internal static ScalarType CheckStateDict(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        config.Validate();
        var expected = StateDictShapes(config);
        foreach (var key in stateDict.Keys)
        {
            // Anything else unknown would be silently lost by surgery, so refuse it.
            if (!expected.ContainsKey(key) && !IsAttentionBuffer(key))
                throw new ModuleSurgeryException(key, "unexpected state-dict key for this config");
        }
        ScalarType? dtype = null;
        foreach (var (key, shape) in expected)
        {
            if (!stateDict.TryGetValue(key, out var tensor))
                throw new ModuleSurgeryException(key, "missing from the state dict");
            if (!tensor.shape.SequenceEqual(shape))
                throw new ModuleSurgeryException(key, $"has shape {Format(tensor.shape)} but the config needs {Format(shape)}");
            dtype ??= tensor.dtype;
            if (tensor.dtype != dtype)
                throw new ModuleSurgeryException(key, $"is {tensor.dtype} but the other tensors are {dtype}");
        }
        return dtype!.Value;
    }

    /// <summary>True for the per-layer <c>attn.mask</c> and <c>attn.cum_weight</c> buffers, which hold no learned state.</summary>
    public static bool IsAttentionBuffer(string key) => AttentionBuffer().IsMatch(key);

    internal static string Format(long[] shape) => $"[{string.Join(", ", shape)}]";

    [GeneratedRegex(@"^transformer\.h\.\d+\.attn\.(mask|cum_weight)$")]
    private static partial Regex AttentionBuffer();
}
