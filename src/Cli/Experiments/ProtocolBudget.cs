namespace ModuleService.Cli.Experiments;

/// <summary>Tokens per phase and evaluation sizes (data-and-evaluation §4.2–§4.4).</summary>
public sealed record ProtocolBudget
{
    public required string Name { get; init; }
    /// <summary>The <c>--scale</c> the budget was made with (1 = full).</summary>
    public double Scale { get; init; } = 1;
    public long PretrainTokens { get; init; } = 1_500_000;
    public long ExtendTokens { get; init; } = 1_000_000;
    public long SpecialiseTokens { get; init; } = 1_000_000;
    /// <summary>Pretraining curves: all validation sets every this many training tokens.</summary>
    public long PretrainEvalEvery { get; init; } = 250_000;
    /// <summary>Extension and finetuning curves: every this many tokens.</summary>
    public long FinetuneEvalEvery { get; init; } = 100_000;
    /// <summary>Predicted validation tokens kept per domain (the doc's cap).</summary>
    public long ValidationTokens { get; init; } = 131_072;
    /// <summary>Predicted tokens per domain at curve points; the end points use all of <see cref="ValidationTokens"/>.</summary>
    public long CurveEvalTokens { get; init; } = 32_768;
    /// <summary>Python training tokens on which experts are ranked for pruning (never validation).</summary>
    public long UsageTokens { get; init; } = 200_000;
    /// <summary>Timed training steps per model in the throughput probe, after <see cref="ProbeWarmup"/> untimed ones.</summary>
    public int ProbeSteps { get; init; } = 30;
    public int ProbeWarmup { get; init; } = 10;
    public int WarmupSteps { get; init; } = 100;
    public int BatchSize { get; init; } = 8;
    public int NewExperts { get; init; } = 8;
    public IReadOnlyList<int> KeepCounts { get; init; } = [16, 12, 8, 6, 4, 2];
    public bool ExtraSmall { get; init; }

    public ExperimentModels Models => ExtraSmall ? ExperimentModels.ExtraSmall : ExperimentModels.Standard;

    public static ProtocolBudget Full { get; } = new() { Name = "full" };

    /// <summary>
    /// The full protocol with every training budget multiplied by <paramref name="scale"/> (for a busy machine). Below
    /// 1 the evaluations shrink too (at most 8 × fewer validation tokens), or they would cost more than the training.
    /// </summary>
    public static ProtocolBudget Scaled(double scale) => Full with
    {
        Name = $"reduced ×{scale:0.##}", Scale = scale,
        ValidationTokens = (long)(Full.ValidationTokens * Math.Clamp(scale, 0.125, 1)),
        CurveEvalTokens = (long)(Full.CurveEvalTokens * Math.Clamp(scale, 0.125, 1)),
        ProbeSteps = (int)Math.Clamp(Full.ProbeSteps * scale, 5, Full.ProbeSteps), ProbeWarmup = scale < 1 ? 2 : 10,
        PretrainTokens = (long)(Full.PretrainTokens * scale), ExtendTokens = (long)(Full.ExtendTokens * scale),
        SpecialiseTokens = (long)(Full.SpecialiseTokens * scale),
        // Fewer curve points too: 2 + the end point in P, 3 + the end point in E and S.
        PretrainEvalEvery = scale < 1 ? (long)(Full.PretrainTokens * scale / 3) : Full.PretrainEvalEvery,
        FinetuneEvalEvery = scale < 1 ? (long)(Full.ExtendTokens * scale / 4) : Full.FinetuneEvalEvery,
    };

    /// <summary>§4.4: the XS model on the excerpts, ≈ 50 k tokens per phase; checks mechanics, not claims.</summary>
    public static ProtocolBudget Ci { get; } = new()
    {
        Name = "ci", ExtraSmall = true, PretrainTokens = 51_200, ExtendTokens = 25_600, SpecialiseTokens = 25_600,
        PretrainEvalEvery = 25_600, FinetuneEvalEvery = 12_800, ValidationTokens = 4_096, CurveEvalTokens = 2_048,
        UsageTokens = 8_192, ProbeSteps = 3, ProbeWarmup = 2, WarmupSteps = 10, NewExperts = 2, KeepCounts = [4, 3, 2],
    };

    public int TokensPerStep => BatchSize * Models.SequenceLength;
    public long Steps(long tokens) => Math.Max(1, tokens / TokensPerStep);
}
