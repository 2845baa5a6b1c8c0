namespace ModuleService.Model.Surgery;

/// <summary>
/// Names and shapes of ModuleFormer state dicts and of the <see cref="ModulePart"/>s cut from them.
/// State-dict keys are IBM/ModuleFormer's (<c>moduleformer-spec.md</c> §7.4); part tensor names are a persisted
/// contract of the module registry, so renaming one means migrating stored modules.
/// </summary>
public static partial class ModuleLayout
{
    /// <summary>Expert part tensor: the expert's slice of <c>experts.weight</c>, [D, A] (attention) or [D, F] (MLP).</summary>
    public const string ExpertsWeight = "experts.weight";
    /// <summary>Expert part tensor: the expert's slice of <c>output_experts.weight</c>, [A, D] or [F, D].</summary>
    public const string OutputExpertsWeight = "output_experts.weight";
    /// <summary>Expert part tensor: the expert's row of the router's last Linear, [G] (gate <c>mlp</c>) or [D] (gate <c>linear</c>).</summary>
    public const string RouterWeight = "router.weight";

    /// <summary>Readable part id: <c>layer3.attn.expert5</c>, <c>layer3.mlp.expert5</c>, <c>layer3.shared</c>, <c>embedding</c>, <c>head</c>.</summary>
    public static string PartName(ModuleKind kind, int? layer = null, int? expertIndex = null) => kind switch
    {
        ModuleKind.AttentionExpert => $"layer{Require(layer, nameof(layer))}.attn.expert{Require(expertIndex, nameof(expertIndex))}",
        ModuleKind.MlpExpert => $"layer{Require(layer, nameof(layer))}.mlp.expert{Require(expertIndex, nameof(expertIndex))}",
        ModuleKind.LayerShared => $"layer{Require(layer, nameof(layer))}.shared",
        ModuleKind.Embedding => "embedding",
        ModuleKind.Head => "head",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Name of all experts of one kind in one layer (<c>layer3.attn</c>, <c>layer3.mlp</c>), used in errors about counts.</summary>
    public static string GroupName(ModuleKind kind, int layer) => kind switch
    {
        ModuleKind.AttentionExpert => $"layer{layer}.attn",
        ModuleKind.MlpExpert => $"layer{layer}.mlp",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an expert kind"),
    };

    /// <summary>Relative tensor name → shape that a part of <paramref name="kind"/> must have in this family.</summary>
    public static IReadOnlyDictionary<string, long[]> PartShapes(ModuleFormerConfig family, ModuleKind kind)
    {
        long d = family.HiddenSize, a = family.AttentionHidden, f = family.MlpHidden, v = family.VocabSize;
        long routerInput = family.GateType == "mlp" ? family.GatingSize : d;
        var shapes = new Dictionary<string, long[]>();
        switch (kind)
        {
            case ModuleKind.AttentionExpert or ModuleKind.MlpExpert:
                var hidden = kind == ModuleKind.AttentionExpert ? a : f;
                shapes[ExpertsWeight] = [d, hidden];
                shapes[OutputExpertsWeight] = [hidden, d];
                shapes[RouterWeight] = [routerInput];
                break;
            case ModuleKind.LayerShared:
                shapes["ln_1.weight"] = [d];
                shapes["ln_1.bias"] = [d];
                if (!family.IdentityKeyValue)
                {
                    foreach (var projection in new[] { "attn.k_proj", "attn.v_proj" })
                    {
                        shapes[$"{projection}.weight"] = [a, d];
                        shapes[$"{projection}.bias"] = [a];
                    }
                }
                AddRouterInput(family, shapes, "attn.q_proj.");
                shapes["ln_2.weight"] = [d];
                shapes["ln_2.bias"] = [d];
                AddRouterInput(family, shapes, "mlpf.");
                break;
            case ModuleKind.Embedding:
                shapes["transformer.wte.weight"] = [v, d];
                break;
            case ModuleKind.Head:
                shapes["transformer.ln_f.weight"] = [d];
                shapes["transformer.ln_f.bias"] = [d];
                shapes["lm_head.weight"] = [v, d];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        return shapes;
    }

    /// <summary>
    /// Full state-dict key → shape for <paramref name="config"/>, in reference order, without the
    /// <c>attn.mask</c> / <c>attn.cum_weight</c> buffers (surgery drops them; exporters regenerate them).
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> StateDictShapes(ModuleFormerConfig config) =>
        Checkpoints.ModuleFormerStateDict.ExpectedShapes(config);

    /// <summary>The three [E, …] state-dict keys that expert parts of <paramref name="kind"/> are sliced from.</summary>
    public static (string Experts, string OutputExperts, string Router) MoeKeys(ModuleFormerConfig config, ModuleKind kind, int layer)
    {
        var moe = LayerPrefix(layer) + kind switch
        {
            ModuleKind.AttentionExpert => "attn.q_proj.",
            ModuleKind.MlpExpert => "mlpf.",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an expert kind"),
        };
        // gate "mlp" keeps its experts' rows in the Sequential's last Linear (index 3); "linear" has just one Linear.
        var router = config.GateType == "mlp" ? "gate.w_gate.3.weight" : "gate.w_gate.weight";
        return (moe + ExpertsWeight, moe + OutputExpertsWeight, moe + router);
    }

    /// <summary>Prefix of block <paramref name="layer"/>'s keys: <c>transformer.h.{layer}.</c>.</summary>
    public static string LayerPrefix(int layer) => $"transformer.h.{layer}.";

    static void AddRouterInput(ModuleFormerConfig family, Dictionary<string, long[]> shapes, string moe)
    {
        // Only the mlp gate has a first Linear; it is shared because every expert's row reads its output.
        if (family.GateType != "mlp") return;
        shapes[$"{moe}gate.w_gate.0.weight"] = [family.GatingSize, family.HiddenSize];
        shapes[$"{moe}gate.w_gate.0.bias"] = [family.GatingSize];
    }

    static int Require(int? value, string name) => value ?? throw new ArgumentNullException(name);
}
