using ModuleService.Model.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// Mixture of stick-breaking attention experts (MoA). Each expert has its own query and output projection
/// (<c>q_proj.experts</c>, <c>q_proj.output_experts</c>); keys and values are shared by the layer and are the
/// LN1 output itself when <c>n_head == 1 &amp;&amp; att_hidden == n_embd</c> (MoLM), biased Linears otherwise.
/// </summary>
public sealed class StickBreakingAttention : nn.Module
{
    private readonly MixtureOfExperts q_proj;
    private readonly Linear? k_proj;
    private readonly Linear? v_proj;
    private readonly int heads;
    private readonly int headSize;

    public StickBreakingAttention(ModuleFormerConfig config) : base(nameof(StickBreakingAttention))
    {
        q_proj = new MixtureOfExperts(config.HiddenSize, config.AttentionHidden, config.AttentionExperts,
            config.AttentionTopK, config, activation: null);
        if (!config.IdentityKeyValue)
        {
            k_proj = nn.Linear(config.HiddenSize, config.AttentionHidden, hasBias: true);
            v_proj = nn.Linear(config.HiddenSize, config.AttentionHidden, hasBias: true);
        }
        heads = config.Heads;
        headSize = config.HeadSize;
        RegisterComponents();
    }

    public MixtureOfExperts Experts => q_proj;

    /// <param name="x">(B, T, D) the LN1 output of the new tokens.</param>
    /// <param name="cache">this layer's cache; the new keys/values are appended to it.</param>
    /// <param name="attentionMask">null or (B, C) over cached + new tokens.</param>
    /// <param name="expertMask">null, (E,) or (B·T, E).</param>
    public (Tensor Output, RouterOutput Routing) forward(Tensor x, LayerKvCache? cache, Tensor? attentionMask, Tensor? expertMask)
    {
        using var _ = ForwardProfiler.Scope("attention");
        var (batch, time) = (x.shape[0], x.shape[1]);
        var (queries, routing, dispatch) = q_proj.Map(x, expertMask);           // (B, T, k, A)
        var keys = k_proj is null ? x : k_proj.call(x);                          // (B, T, A)
        var values = v_proj is null ? keys : v_proj.call(x);                     // (B, T, A)
        if (cache is not null) (keys, values) = cache.Append(keys, values);      // (B, C, A)

        long context = keys.shape[1];
        var q = queries.view(batch, time, routing.TopK, heads, headSize);        // (B, T, k, H, d)
        var k = keys.view(batch, context, heads, headSize);                      // (B, C, H, d)
        var v = values.view(batch, context, heads, headSize);                    // (B, C, H, d)
        var y = StickBreaking.Attend(q, k, v, attentionMask);                    // (B, T, k, H, d)
        y = y.reshape(batch, time, routing.TopK, heads * headSize);              // (B, T, k, A)
        return (q_proj.Reduce(y, dispatch), routing);
    }
}
