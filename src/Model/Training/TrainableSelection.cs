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

    /// <summary>
    /// Every router (both MoEs of every layer): the per-expert Linear (<c>w_gate.3</c>, or <c>w_gate</c> for gate type
    /// <c>linear</c>) and, for gate type <c>mlp</c>, the shared first Linear <c>w_gate.0</c>. Expert matrices stay
    /// frozen. As modules this changes every expert's router row and every layer's shared part.
    /// </summary>
    public static TrainableSelection Routers { get; } = new("routers", config =>
    {
        var result = new Dictionary<string, HashSet<int>?>();
        var keys = ModuleLayout.StateDictShapes(config).Keys;
        foreach (var key in keys.Where(key => key.Contains(".gate.w_gate.", StringComparison.Ordinal))) result[key] = null;
        return result;
    });

    /// <summary>What any of <paramref name="selections"/> trains: a whole tensor wins over rows, rows add up.</summary>
    public static TrainableSelection Union(IReadOnlyList<TrainableSelection> selections)
    {
        if (selections.Count == 0) throw new ArgumentException("no selections given", nameof(selections));
        if (selections.Count == 1) return selections[0];
        return new($"union({string.Join(", ", selections.Select(s => s.Description))})", config =>
        {
            var result = new Dictionary<string, HashSet<int>?>();
            foreach (var (key, rows) in selections.SelectMany(s => s.plan(config)))
            {
                if (result.TryGetValue(key, out var existing) && existing is null) continue;   // already whole
                result[key] = rows is null ? null : [.. existing ?? [], .. rows];
            }
            return result;
        });
    }

    /// <summary>
    /// Names (<see cref="ModuleLayout.PartName"/>, by position in this config) of the module parts at least one of whose
    /// tensors or expert rows trains; every other part must come out of training bit for bit unchanged.
    /// </summary>
    public IReadOnlySet<string> TrainedParts(ModuleFormerConfig config)
    {
        var trained = plan(config);
        var parts = new HashSet<string>(StringComparer.Ordinal);
        void AddIfAny(string part, IEnumerable<string> keys)
        {
            if (keys.Any(trained.ContainsKey)) parts.Add(part);
        }
        AddIfAny(ModuleLayout.PartName(ModuleKind.Embedding), ModuleLayout.PartShapes(config, ModuleKind.Embedding).Keys);
        AddIfAny(ModuleLayout.PartName(ModuleKind.Head), ModuleLayout.PartShapes(config, ModuleKind.Head).Keys);
        for (int layer = 0; layer < config.Layers; layer++)
        {
            var prefix = ModuleLayout.LayerPrefix(layer);
            AddIfAny(ModuleLayout.PartName(ModuleKind.LayerShared, layer),
                ModuleLayout.PartShapes(config, ModuleKind.LayerShared).Keys.Select(key => prefix + key));
            foreach (var (kind, experts) in new[] { (ModuleKind.AttentionExpert, config.AttentionExperts), (ModuleKind.MlpExpert, config.MlpExperts) })
            {
                var (expertsKey, outputKey, routerKey) = ModuleLayout.MoeKeys(config, kind, layer);
                for (int expert = 0; expert < experts; expert++)
                {
                    bool trains = new[] { expertsKey, outputKey, routerKey }
                        .Any(key => trained.TryGetValue(key, out var rows) && (rows is null || rows.Contains(expert)));
                    if (trains) parts.Add(ModuleLayout.PartName(kind, layer, expert));
                }
            }
        }
        return parts;
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
