using ModuleService.Model.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>The decoder body (<c>transformer.*</c>): token embedding, blocks, final LayerNorm. No positions.</summary>
public sealed class ModuleFormerModel : nn.Module
{
    private readonly Embedding wte;
    private readonly Dropout drop;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;

    public ModuleFormerModel(ModuleFormerConfig config) : base(nameof(ModuleFormerModel))
    {
        wte = nn.Embedding(config.VocabSize, config.HiddenSize);
        drop = nn.Dropout(config.EmbeddingDropout);
        h = new ModuleList<Block>(Enumerable.Range(0, config.Layers).Select(_ => new Block(config)).ToArray());
        ln_f = nn.LayerNorm(config.HiddenSize, eps: 1e-5);
        RegisterComponents();
    }

    public Embedding TokenEmbedding => wte;
    public IReadOnlyList<Block> Blocks => h.ToList();

    /// <summary>(B, T) ids → (B, T, D): token embedding and embedding dropout, the part before the first block.</summary>
    public Tensor Embed(Tensor inputIds) => drop.call(wte.call(inputIds));

    /// <summary>The final LayerNorm, the part after the last block.</summary>
    public Tensor FinalNorm(Tensor hidden) => ln_f.call(hidden);

    public (Tensor Hidden, List<LayerRouting> Routing, List<Tensor>? HiddenStates) forward(
        Tensor inputIds, Tensor? attentionMask, KvCache? cache, ExpertMask? expertMask, bool outputHiddenStates)
    {
        var hidden = Embed(inputIds);                                            // (B, T, D)
        var routing = new List<LayerRouting>(h.Count);
        var hiddenStates = outputHiddenStates ? new List<Tensor>() : null;
        for (int layer = 0; layer < h.Count; layer++)
        {
            hiddenStates?.Add(hidden);
            (hidden, var layerRouting) = h[layer].forward(hidden, cache?[layer], attentionMask, expertMask?[layer]);
            routing.Add(layerRouting);
        }
        hidden = FinalNorm(hidden);
        hiddenStates?.Add(hidden);
        return (hidden, routing, hiddenStates);
    }
}

/// <summary>
/// ModuleFormer language model: <c>transformer</c> plus an untied, bias-free <c>lm_head</c>; fp32 logits.
/// Field names are the reference's state-dict keys, so a reference checkpoint loads key for key.
/// </summary>
public sealed class ModuleFormerForCausalLM : nn.Module
{
    private readonly ModuleFormerModel transformer;
    private readonly Linear lm_head;

    public ModuleFormerForCausalLM(ModuleFormerConfig config) : base(nameof(ModuleFormerForCausalLM))
    {
        config.Validate();
        Config = config;
        transformer = new ModuleFormerModel(config);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    public ModuleFormerConfig Config { get; }
    public ModuleFormerModel Transformer => transformer;
    public Linear LmHead => lm_head;

    /// <summary>The dtype of the weights (fp32, or bf16 after <c>to(BFloat16)</c>).</summary>
    public ScalarType DType => lm_head.weight!.dtype;

    /// <param name="inputIds">(B, T) token ids of the new tokens.</param>
    /// <param name="attentionMask">null or (B, C) over cached + new tokens, 1 = keep, 0 = padding.</param>
    /// <param name="cache">KV cache to read and extend; null for a full forward without cache.</param>
    /// <param name="expertMask">experts this forward may use; null for all.</param>
    public CausalLMOutput forward(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null,
        ExpertMask? expertMask = null, bool outputHiddenStates = false)
    {
        CheckInputs(inputIds, attentionMask, cache, expertMask);
        var (hidden, routing, hiddenStates) = transformer.forward(inputIds, attentionMask, cache, expertMask, outputHiddenStates);
        var logits = lm_head.call(hidden).to(ScalarType.Float32);               // (B, T, V)
        return new CausalLMOutput(logits, routing, hiddenStates);
    }

    /// <summary>
    /// The forward of a generation step: float32 logits of the last position only, so a prompt pass does not
    /// run the LM head over every prompt position. Arguments as for <see cref="forward"/>.
    /// </summary>
    /// <returns>(B, V) float32.</returns>
    public Tensor NextTokenLogits(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null, ExpertMask? expertMask = null)
    {
        CheckInputs(inputIds, attentionMask, cache, expertMask);
        var (hidden, _, _) = transformer.forward(inputIds, attentionMask, cache, expertMask, outputHiddenStates: false);
        return Logits(hidden.select(1, -1));                                      // (B, V)
    }

    /// <summary>
    /// The LM head outside <see cref="forward"/> (generation and serving): (…, D) final hidden states → (…, V) float32
    /// logits, computed as W·hᵀ. Linear's h·Wᵀ is far slower for a few rows and a large head: at MoLM's 50,295 × 1024
    /// head on this project's 2-core CPU, 2–8 rows took 71–84 ms that way against 19 ms for one row, and 22–32 ms
    /// as W·hᵀ (decode at batch 8 spent half its time there); with 2,048 rows W·hᵀ is still 5 % faster.
    /// </summary>
    public Tensor Logits(Tensor hidden)
    {
        using var _ = ForwardProfiler.Scope("lm_head");
        var rows = hidden.reshape(-1, hidden.shape[^1]);                         // (N, D)
        var logits = mm(lm_head.weight!, rows.t()).t();                          // (V, N)ᵀ → (N, V)
        return logits.reshape([.. hidden.shape[..^1], logits.shape[1]]).to(ScalarType.Float32);
    }

    private void CheckInputs(Tensor inputIds, Tensor? attentionMask, KvCache? cache, ExpertMask? expertMask)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be (B, T), got ({string.Join(", ", inputIds.shape)})");
        long expectedContext = (cache?.Length ?? 0) + inputIds.shape[1];
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != inputIds.shape[0] || attentionMask.shape[1] != expectedContext))
            throw new ArgumentException($"attention_mask must be ({inputIds.shape[0]}, {expectedContext}) = (B, cached + new), got ({string.Join(", ", attentionMask.shape)})");
        if (expertMask is not null && expertMask.Layers != Config.Layers)
            throw new ArgumentException($"expert mask has {expertMask.Layers} layers, the model {Config.Layers}");
    }

    /// <summary>Reference initialisation for training from scratch: Linear/Embedding N(0, initializer_range),
    /// biases 0, LayerNorm 1/0, experts U(−1/in, 1/in).</summary>
    public void InitializeWeights(long seed)
    {
        using var _ = no_grad();
        // Tensor.normal_ rather than nn.init.normal_: TorchSharp 0.107's nn.init ignores the generator argument.
        var generator = new Generator((ulong)seed);
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    linear.weight.normal_(0, Config.InitializerRange, generator);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, Config.InitializerRange, generator);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
                case ParallelExperts experts:
                    experts.ResetParameters(generator);
                    break;
            }
        }
    }
}

/// <summary>One forward's results.</summary>
/// <param name="Logits">(B, T, V) float32.</param>
/// <param name="Routing">per layer, the attention and MLP routing (for aux losses and expert usage).</param>
/// <param name="HiddenStates">if asked: the input of every block, then ln_f of the last block's output.</param>
public sealed record CausalLMOutput(Tensor Logits, IReadOnlyList<LayerRouting> Routing, IReadOnlyList<Tensor>? HiddenStates)
{
    /// <summary>Σ over layers of the config's aux loss (attention + MLP), as the reference's <c>aux_loss</c>.</summary>
    public Tensor AuxLoss(ModuleFormerConfig config) =>
        Routing.Select(r => RoutingLosses.ForConfig(config, r.Attention) + RoutingLosses.ForConfig(config, r.Mlp))
               .Aggregate((a, b) => a + b);
}
