using ModuleService.Model;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli.Experiments;

/// <summary>
/// The three models of data-and-evaluation §4.1 (and their XS twins for CI). All share the attention: one dense
/// stick-breaking attention module per layer (one expert, top-1, 2 heads), so they differ only in the FFN. A dense
/// FFN is a ModuleFormer MoE with one expert and k = 1, whose gate is exactly 1, so every model is the same code.
/// </summary>
public sealed record ExperimentModels(ModuleFormerConfig Sparse, ModuleFormerConfig DenseActive, ModuleFormerConfig DenseTotal, int SequenceLength)
{
    /// <summary>d 128, 4 layers, T 256; SMoE 16 × 128 top-2, D-active FFN 256, D-total FFN 2048.</summary>
    public static ExperimentModels Standard { get; } = Build(hidden: 128, layers: 4, experts: 16, expertHidden: 128, sequenceLength: 256);

    /// <summary>XS (§4.4): d 64, 2 layers, 4 experts × 64 top-2, T 64.</summary>
    public static ExperimentModels ExtraSmall { get; } = Build(hidden: 64, layers: 2, experts: 4, expertHidden: 64, sequenceLength: 64);

    public IEnumerable<(string Name, ModuleFormerConfig Config)> All =>
        [(Names.Sparse, Sparse), (Names.DenseActive, DenseActive), (Names.DenseTotal, DenseTotal)];

    static ExperimentModels Build(int hidden, int layers, int experts, int expertHidden, int sequenceLength)
    {
        var sparse = Base(hidden, layers, sequenceLength) with { MlpExperts = experts, MlpTopK = 2, MlpHidden = expertHidden };
        // Equal active compute: k experts' widths in one; equal total parameters: all experts' widths in one.
        var denseActive = Base(hidden, layers, sequenceLength) with { MlpExperts = 1, MlpTopK = 1, MlpHidden = 2 * expertHidden };
        var denseTotal = Base(hidden, layers, sequenceLength) with { MlpExperts = 1, MlpTopK = 1, MlpHidden = experts * expertHidden };
        return new ExperimentModels(sparse, denseActive, denseTotal, sequenceLength);
    }

    static ModuleFormerConfig Base(int hidden, int layers, int sequenceLength)
    {
        var tokenizer = TokenizerCatalog.Create(TinyK1024Tokenizer.TokenizerName);
        return new ModuleFormerConfig
        {
            VocabSize = 1088, HiddenSize = hidden, Layers = layers, Heads = 2, AttentionHidden = hidden,
            AttentionExperts = 1, AttentionTopK = 1, GatingSize = 64, GateType = "mlp", AuxLossType = "mi",
            BlockSize = sequenceLength, HistoryLength = sequenceLength, InitializerRange = 0.02,
            BosTokenId = tokenizer.EndOfTextId, EosTokenId = tokenizer.EndOfTextId, Tokenizer = TinyK1024Tokenizer.TokenizerName,
        };
    }
}

/// <summary>The run names used in tables, plots and results.json.</summary>
public static class Names
{
    public const string Sparse = "SMoE";
    public const string DenseActive = "D-active";
    public const string DenseTotal = "D-total";
    public const string SparseIsoTime = "SMoE-isotime";
}
