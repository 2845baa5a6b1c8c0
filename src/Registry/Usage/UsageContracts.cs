using ModuleService.Model.Surgery;

namespace ModuleService.Registry.Usage;

/// <summary>One expert's usage in one window as the engine counts it: <paramref name="Expert"/> is its position in
/// the layer's <paramref name="Kind"/> list (<see cref="ModuleKind.AttentionExpert"/> or <see cref="ModuleKind.MlpExpert"/>).</summary>
public sealed record ExpertCount(int Layer, ModuleKind Kind, int Expert, long Selections, double GateSum);

/// <summary>What <see cref="ExpertUsageStore.RecordAsync(Guid, IEnumerable{ExpertCount}, DateTimeOffset, DateTimeOffset, string, CancellationToken)"/> wrote.</summary>
/// <param name="Rows">Rows inserted: one per expert with at least one selection.</param>
public sealed record UsageRecorded(Guid AssemblyId, string Name, int Version, int Rows);

/// <summary>
/// Usage of an assembly's experts, summed over every assembly with the same manifest hash (same weights) and every
/// node, from flush windows that end after <see cref="Since"/>.
/// </summary>
/// <param name="WindowStart">Earliest window start among the rows summed; null when there are none.</param>
/// <param name="EstimatedTokens">Tokens served: MLP selections / (k_mlp · layers), since every token picks k_mlp experts in each layer.</param>
public sealed record ExpertUsageReport(Guid AssemblyId, string Name, int Version, string ManifestHash, DateTimeOffset? Since,
    DateTimeOffset? WindowStart, DateTimeOffset? WindowEnd, long EstimatedTokens, IReadOnlyList<LayerUsage> Layers);

/// <summary>One block's experts in manifest order (list position = expert index).</summary>
public sealed record LayerUsage(int Layer, IReadOnlyList<ExpertUsageStat> Attention, IReadOnlyList<ExpertUsageStat> Mlp);

/// <param name="Share">Fraction of the layer's selections of this kind that went to this expert (0 when none).</param>
/// <param name="MeanGate">Mean router probability when selected (0 when never selected).</param>
public sealed record ExpertUsageStat(int Expert, string Module, Guid ModuleVersionId, int ModuleVersion, long Selections,
    double MeanGate, double Share);
