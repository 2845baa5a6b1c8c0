using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>Pre-norm block: h = h + MoA(LN1(h)); h = h + MoE(LN2(h)).</summary>
public sealed class Block : nn.Module
{
    private readonly LayerNorm ln_1;
    private readonly StickBreakingAttention attn;
    private readonly LayerNorm ln_2;
    private readonly MixtureOfExperts mlpf;
    private readonly Dropout residualDropout;

    public Block(ModuleFormerConfig config) : base(nameof(Block))
    {
        // The reference uses nn.LayerNorm's default eps (1e-5) and never reads layer_norm_epsilon.
        ln_1 = nn.LayerNorm(config.HiddenSize, eps: 1e-5);
        attn = new StickBreakingAttention(config);
        ln_2 = nn.LayerNorm(config.HiddenSize, eps: 1e-5);
        mlpf = new MixtureOfExperts(config.HiddenSize, config.MlpHidden, config.MlpExperts, config.MlpTopK, config,
            Activations.For(config.ActivationFunction));
        residualDropout = nn.Dropout(config.ResidualDropout);
        RegisterComponents();
    }

    public StickBreakingAttention Attention => attn;
    public MixtureOfExperts Mlp => mlpf;

    public (Tensor Hidden, LayerRouting Routing) forward(Tensor h, LayerKvCache? cache, Tensor? attentionMask, LayerExpertMask? mask)
    {
        var (attended, attentionRouting) = attn.forward(ln_1.call(h), cache, attentionMask, mask?.Attention);
        h = h + residualDropout.call(attended);
        var (mixed, mlpRouting) = mlpf.forward(ln_2.call(h), mask?.Mlp);
        h = h + residualDropout.call(mixed);
        return (h, new LayerRouting(attentionRouting, mlpRouting));
    }
}

/// <summary>The routing of one block: its attention MoE and its MLP MoE.</summary>
public sealed record LayerRouting(RouterOutput Attention, RouterOutput Mlp);

/// <summary>The expert activations the reference's config may name.</summary>
public static class Activations
{
    public static Func<Tensor, Tensor> For(string name) => name switch
    {
        // gelu_new is the tanh approximation (the router's GELU is the exact erf one).
        "gelu_new" => x => nn.functional.gelu(x, GELU.Approximate.tanh),
        "gelu" => x => nn.functional.gelu(x),
        "relu" => x => nn.functional.relu(x),
        "silu" => x => nn.functional.silu(x),
        _ => throw new ArgumentException($"activation_function \"{name}\" is not supported"),
    };
}
