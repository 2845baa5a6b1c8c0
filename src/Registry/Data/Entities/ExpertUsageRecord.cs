using ModuleService.Model.Surgery;

namespace ModuleService.Registry.Data.Entities;

/// <summary>
/// How often served traffic selected one expert of an assembly during one flush window on one node, and the sum of
/// its gates (mean gate = <see cref="GateSum"/> / <see cref="Selections"/>). Append-only: totals are sums of rows.
/// </summary>
public sealed class ExpertUsageRecord
{
    public long Id { get; init; }
    public Guid AssemblyId { get; init; }
    public int Layer { get; init; }
    /// <summary><see cref="ModuleKind.AttentionExpert"/> or <see cref="ModuleKind.MlpExpert"/>, as in <c>modules.kind</c>.</summary>
    public ModuleKind Kind { get; init; }
    /// <summary>Position in the layer's attention or MLP list of the assembly's manifest.</summary>
    public int ExpertIndex { get; init; }
    /// <summary>The module version at that position, copied from the manifest so SQL readers need no jsonb walk.</summary>
    public Guid ModuleVersionId { get; init; }
    /// <summary>Token-slots routed to the expert (each token picks k distinct experts per layer and kind).</summary>
    public long Selections { get; init; }
    public double GateSum { get; init; }
    public DateTimeOffset WindowStart { get; init; }
    public DateTimeOffset WindowEnd { get; init; }
    /// <summary>Machine that served the traffic; several nodes flush rows for the same window.</summary>
    public required string Node { get; init; }
}
