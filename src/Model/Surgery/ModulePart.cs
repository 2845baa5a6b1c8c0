using static TorchSharp.torch;

namespace ModuleService.Model.Surgery;

/// <summary>What a <see cref="ModulePart"/> holds; the unit a module registry versions.</summary>
public enum ModuleKind
{
    /// <summary>One attention expert of one layer: its query and output projections plus its router row.</summary>
    AttentionExpert,
    /// <summary>One MLP expert of one layer: its two matrices plus its router row.</summary>
    MlpExpert,
    /// <summary>Everything of one layer that all its experts share: <c>ln_1</c>, <c>ln_2</c>, <c>k_proj</c>/<c>v_proj</c>, the routers' first Linear.</summary>
    LayerShared,
    /// <summary>The token embedding <c>transformer.wte</c>.</summary>
    Embedding,
    /// <summary>The final LayerNorm <c>transformer.ln_f</c> and <c>lm_head</c>.</summary>
    Head,
}

/// <summary>
/// One separately storable piece of a ModuleFormer checkpoint. Tensor names are relative and stable
/// (they are a persisted contract, see <see cref="ModuleLayout"/>):
/// <list type="bullet">
/// <item>experts: <c>experts.weight</c> [D, A|F], <c>output_experts.weight</c> [A|F, D] and
/// <c>router.weight</c> [G] (gate type <c>mlp</c>) or [D] (gate type <c>linear</c>);</item>
/// <item><see cref="ModuleKind.LayerShared"/>: state-dict keys without the <c>transformer.h.{i}.</c> prefix;</item>
/// <item><see cref="ModuleKind.Embedding"/> and <see cref="ModuleKind.Head"/>: full state-dict keys.</item>
/// </list>
/// Disposing a part disposes its tensors.
/// </summary>
/// <param name="Kind">What the part is.</param>
/// <param name="Layer">Block index; null for <see cref="ModuleKind.Embedding"/> and <see cref="ModuleKind.Head"/>.</param>
/// <param name="ExpertIndex">Index the expert had in the checkpoint it came from; null for non-expert parts.
/// Assembly ignores it: the position in the part list decides the new index.</param>
/// <param name="Name">Readable id such as <c>layer3.attn.expert5</c>, <c>layer3.mlp.expert0</c>, <c>layer3.shared</c>,
/// <c>embedding</c>, <c>head</c> (<see cref="ModuleLayout.PartName"/>); unique within one assembly.</param>
/// <param name="Tensors">Relative tensor name → tensor.</param>
public sealed record ModulePart(ModuleKind Kind, int? Layer, int? ExpertIndex, string Name, IReadOnlyDictionary<string, Tensor> Tensors)
    : IModulePartIdentity, IDisposable
{
    /// <summary>True for <see cref="ModuleKind.AttentionExpert"/> and <see cref="ModuleKind.MlpExpert"/>.</summary>
    public bool IsExpert => ModuleLayout.IsExpert(Kind);

    /// <summary>Element type of the part's tensors (of the first one; assembly checks that they agree).</summary>
    public ScalarType DType => Tensors.Count > 0 ? Tensors.Values.First().dtype
        : throw new ModuleSurgeryException(Name, "part has no tensors");

    /// <summary>Relative tensor name → shape.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes => Tensors.ToDictionary(pair => pair.Key, pair => pair.Value.shape);

    /// <summary>Number of scalars in the part (parameters, since parts hold no buffers).</summary>
    public long ElementCount => Tensors.Values.Sum(tensor => tensor.numel());

    /// <summary>Disposes the part's tensors.</summary>
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
    }
}

/// <summary>
/// A checkpoint cut into parts. <paramref name="Family"/> is the config the parts were cut from; it fixes every
/// shape except the expert counts, so any parts of the same family can be reassembled.
/// Disposing the set disposes all parts.
/// </summary>
public sealed record ModuleSet(ModuleFormerConfig Family, IReadOnlyList<ModulePart> Parts) : IDisposable
{
    /// <summary>The experts of one kind in one layer, in list order.</summary>
    public IEnumerable<ModulePart> Experts(int layer, ModuleKind kind) =>
        Parts.Where(part => part.Kind == kind && part.Layer == layer && part.IsExpert);

    /// <summary>The part with this <see cref="ModulePart.Name"/>, or null.</summary>
    public ModulePart? Find(string name) => Parts.FirstOrDefault(part => part.Name == name);

    /// <summary>Disposes every part.</summary>
    public void Dispose()
    {
        foreach (var part in Parts) part.Dispose();
    }
}

/// <summary>A surgery input that cannot be used; <see cref="Part"/> names the offending part, group or state-dict key.</summary>
public sealed class ModuleSurgeryException(string part, string problem) : Exception($"{part}: {problem}")
{
    /// <summary>Part name (<c>layer1.attn.expert2</c>), group (<c>layer1.attn</c>) or state-dict key at fault.</summary>
    public string Part { get; } = part;

    /// <summary>What is wrong, without the part name.</summary>
    public string Problem { get; } = problem;
}
