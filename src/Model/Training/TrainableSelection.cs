using System.Text.RegularExpressions;
using ModuleService.Model.Architecture;
using ModuleService.Model.Surgery;

namespace ModuleService.Model.Training;

/// <summary>
/// Which parameters a training run may change. A plan maps state-dict keys to "the whole tensor" (null) or to
/// expert rows of an <c>[E, …]</c> tensor; keys not in the plan stay frozen bit for bit.
/// </summary>
public sealed partial class TrainableSelection
{
    private readonly Func<ModuleFormerConfig, Dictionary<string, HashSet<int>?>> plan;

    private TrainableSelection(string description, Func<ModuleFormerConfig, Dictionary<string, HashSet<int>?>> plan)
    {
        Description = description;
        this.plan = plan;
    }

    /// <summary>Human-readable summary for logs and saved state, e.g. <c>new-experts(mlp ≥ 16)</c>.</summary>
    public string Description { get; }

    /// <summary>Every parameter trains (pretraining, full finetuning).</summary>
    public static TrainableSelection All { get; } = new("all",
        config => ModuleLayout.StateDictShapes(config).Keys.ToDictionary(key => key, _ => (HashSet<int>?)null));

    /// <summary>
    /// The extend case (spec §9.3): in every layer only experts with index ≥ the given first new index train, with
    /// their router rows. Old experts, old router rows, the router's shared first Linear, norms, K/V, embedding and
    /// head are frozen. A null index freezes that kind entirely.
    /// </summary>
    public static TrainableSelection NewExperts(int? firstNewAttentionExpert, int? firstNewMlpExpert)
    {
        if (firstNewAttentionExpert is null && firstNewMlpExpert is null)
            throw new ArgumentException("name at least one expert kind whose new experts train");
        var parts = new List<string>();
        if (firstNewAttentionExpert is { } a) parts.Add($"attn ≥ {a}");
        if (firstNewMlpExpert is { } m) parts.Add($"mlp ≥ {m}");
        return new($"new-experts({string.Join(", ", parts)})", config =>
        {
            var result = new Dictionary<string, HashSet<int>?>();
            AddNew(config, result, ModuleKind.AttentionExpert, firstNewAttentionExpert, config.AttentionExperts);
            AddNew(config, result, ModuleKind.MlpExpert, firstNewMlpExpert, config.MlpExperts);
            return result;
        });
    }

    /// <summary>
    /// Exactly the named module parts (<see cref="ModuleLayout.PartName"/>): <c>layer0.mlp.expert3</c>,
    /// <c>layer1.attn.expert0</c>, <c>layer1.shared</c>, <c>embedding</c>, <c>head</c>.
    /// </summary>
    public static TrainableSelection Parts(IEnumerable<string> partNames)
    {
        var names = partNames.Distinct().ToArray();
        if (names.Length == 0) throw new ArgumentException("no part names given", nameof(partNames));
        return new($"parts({string.Join(", ", names)})", config =>
        {
            var result = new Dictionary<string, HashSet<int>?>();
            foreach (var name in names) AddPart(config, result, name);
            return result;
        });
    }

    /// <summary>State-dict key → null (whole tensor trains) or the trainable expert rows; absent keys are frozen.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<int>?> Plan(ModuleFormerConfig config) =>
        plan(config).ToDictionary(pair => pair.Key, pair => (IReadOnlySet<int>?)pair.Value);

    /// <summary>Freezes <paramref name="model"/> accordingly and returns what remains trainable.</summary>
    public TrainableParameters Apply(ModuleFormerForCausalLM model) => TrainableParameters.Create(model, Plan(model.Config), Description);

    public override string ToString() => Description;

    private static void AddNew(ModuleFormerConfig config, Dictionary<string, HashSet<int>?> result, ModuleKind kind, int? first, int experts)
    {
        if (first is not { } start) return;
        if (start < 0 || start >= experts)
            throw new ArgumentOutOfRangeException(nameof(first), start, $"the first new {kind} must be in 0..{experts - 1} (the model has {experts})");
        for (int layer = 0; layer < config.Layers; layer++)
            AddRows(config, result, kind, layer, Enumerable.Range(start, experts - start));
    }

    private static void AddPart(ModuleFormerConfig config, Dictionary<string, HashSet<int>?> result, string name)
    {
        if (name is "embedding" or "head")
        {
            var kind = name == "embedding" ? ModuleKind.Embedding : ModuleKind.Head;
            foreach (var key in ModuleLayout.PartShapes(config, kind).Keys) result[key] = null;
            return;
        }
        var shared = SharedName().Match(name);
        if (shared.Success)
        {
            int layer = CheckLayer(config, name, int.Parse(shared.Groups[1].Value));
            foreach (var key in ModuleLayout.PartShapes(config, ModuleKind.LayerShared).Keys)
                result[ModuleLayout.LayerPrefix(layer) + key] = null;
            return;
        }
        var expert = ExpertName().Match(name);
        if (!expert.Success)
            throw new ArgumentException($"\"{name}\" is not a part name (layerN.attn.expertM, layerN.mlp.expertM, layerN.shared, embedding, head)");
        var expertKind = expert.Groups[2].Value == "attn" ? ModuleKind.AttentionExpert : ModuleKind.MlpExpert;
        int count = expertKind == ModuleKind.AttentionExpert ? config.AttentionExperts : config.MlpExperts;
        int index = int.Parse(expert.Groups[3].Value);
        if (index >= count) throw new ArgumentException($"\"{name}\": the model has {count} experts of that kind per layer");
        AddRows(config, result, expertKind, CheckLayer(config, name, int.Parse(expert.Groups[1].Value)), [index]);
    }

    /// <summary>Adds expert rows to the expert matrices and the router's per-expert Linear of one MoE.</summary>
    private static void AddRows(ModuleFormerConfig config, Dictionary<string, HashSet<int>?> result, ModuleKind kind, int layer, IEnumerable<int> rows)
    {
        var (experts, outputExperts, router) = ModuleLayout.MoeKeys(config, kind, layer);
        foreach (var key in new[] { experts, outputExperts, router })
        {
            if (result.TryGetValue(key, out var existing) && existing is null) continue;   // already whole
            (result[key] = existing ?? []).UnionWith(rows);
        }
    }

    private static int CheckLayer(ModuleFormerConfig config, string name, int layer) =>
        layer < config.Layers ? layer : throw new ArgumentException($"\"{name}\": the model has {config.Layers} layers");

    [GeneratedRegex(@"^layer(\d+)\.shared$")]
    private static partial Regex SharedName();

    [GeneratedRegex(@"^layer(\d+)\.(attn|mlp)\.expert(\d+)$")]
    private static partial Regex ExpertName();
}
