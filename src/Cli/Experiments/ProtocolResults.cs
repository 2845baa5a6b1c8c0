namespace ModuleService.Cli.Experiments;

/// <summary>Everything the protocol measured; filled by the two queues of <see cref="ProtocolRunner"/>.</summary>
public sealed class ProtocolResults
{
    public required ProtocolBudget Budget { get; init; }
    public required string MachineAtStart { get; init; }
    public string MachineAtEnd { get; set; } = "";
    public double WallSeconds { get; set; }
    public bool Parallel { get; init; }

    public IReadOnlyList<Throughput> Throughput { get; set; } = [];
    /// <summary>Tokens P′ trains: P's tokens × SMoE / D-total training throughput from the probe (equal wall-clock).</summary>
    public long IsoTimeTokens { get; set; }

    public RunRecord? Sparse { get; set; }
    public RunRecord? DenseActive { get; set; }
    public RunRecord? DenseTotal { get; set; }
    public RunRecord? SparseIsoTime { get; set; }

    public RunRecord? SparseExtended { get; set; }
    public FrozenCheck? Frozen { get; set; }
    public RunRecord? DenseTotalFinetuned { get; set; }
    public RunRecord? DenseActiveFinetuned { get; set; }

    public SpecialiseResult? Plain { get; set; }
    public SpecialiseResult? Concentrated { get; set; }

    public Throughput ThroughputOf(string name) => Throughput.Single(t => t.Name == name);
}
