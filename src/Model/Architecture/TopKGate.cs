using ModuleService.Model.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// The router of one MoE: gate type <c>mlp</c> is Linear(D, G) → erf-GELU → Dropout → Linear(G, E, no bias)
/// (state-dict <c>w_gate.0</c>, <c>w_gate.3</c>); type <c>linear</c> is one bias-free Linear(D, E).
/// Softmax over all (unmasked) experts, top-k on the probabilities, gates not renormalised.
/// </summary>
public sealed class TopKGate : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> w_gate;
    private readonly int topK;
    private readonly int sampleTopK;

    public TopKGate(int inputSize, int experts, int topK, ModuleFormerConfig config) : base(nameof(TopKGate))
    {
        w_gate = config.GateType == "mlp"
            ? nn.Sequential(
                ("0", nn.Linear(inputSize, config.GatingSize, hasBias: true)),
                ("1", nn.GELU()),
                ("2", nn.Dropout(config.RouterDropout)),
                ("3", nn.Linear(config.GatingSize, experts, hasBias: false)))
            : nn.Linear(inputSize, experts, hasBias: false);
        this.topK = topK;
        sampleTopK = config.SampleTopK;
        Experts = experts;
        RegisterComponents();
    }

    public int Experts { get; }
    public int TopK => topK;

    /// <summary>The Linear whose rows are per expert (w_gate.3 for mlp, w_gate for linear).</summary>
    public Linear ExpertRows => w_gate is Sequential s ? (Linear)s[3] : (Linear)w_gate;

    /// <param name="x">(N, D) tokens.</param>
    /// <param name="expertMask">null, (E,) or (N, E) booleans: false removes an expert from the softmax.</param>
    public RouterOutput forward(Tensor x, Tensor? expertMask = null)
    {
        using var _ = ForwardProfiler.Scope("router");
        var logits = w_gate.call(x);                                            // (N, E)
        if (expertMask is not null)
            logits = logits.masked_fill(expertMask.logical_not(), double.NegativeInfinity);
        var probs = logits.softmax(-1);                                         // (N, E)
        var (gates, indices) = training && sampleTopK > 0 ? SampleTopK(probs) : probs.topk(topK, dim: -1);
        return new RouterOutput(logits, probs, indices, gates);
    }

    /// <summary>Training-only option of the reference: keep the top k − s, draw the other s by probability.</summary>
    private (Tensor gates, Tensor indices) SampleTopK(Tensor probs)
    {
        var (_, kept) = probs.topk(topK - sampleTopK, dim: -1);
        var rest = (probs + 1e-6).scatter(-1, kept, zeros_like(kept, dtype: probs.dtype));
        var sampled = multinomial(rest, sampleTopK);
        var indices = cat([kept, sampled], -1);
        return (probs.gather(-1, indices), indices);
    }
}
