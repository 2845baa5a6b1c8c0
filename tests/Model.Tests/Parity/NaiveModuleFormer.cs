using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary>
/// A deliberately naive ModuleFormer in float64, written from the spec's per-token formulas with loops
/// (no dispatch bookkeeping, no einsum, no cumulative sums), to check the real model on configurations that
/// no fixture covers.
/// </summary>
internal sealed class NaiveModuleFormer(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> weights)
{
    private Tensor W(string name) => weights[name].to(ScalarType.Float64);

    /// <returns>logits (B, T, V) and per layer the top-k indices of attention and MLP, (B·T, k) each.</returns>
    public (Tensor Logits, List<(long[][] Attention, long[][] Mlp)> Routing) Forward(long[][] ids, long[][]? mask)
    {
        int batch = ids.Length, time = ids[0].Length;
        var h = new Tensor[batch, time];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++) h[b, t] = W("transformer.wte.weight")[ids[b][t]];
        var routing = new List<(long[][], long[][])>();
        for (int layer = 0; layer < config.Layers; layer++)
        {
            string p = $"transformer.h.{layer}.";
            var x = Map(h, v => LayerNorm(v, p + "ln_1"));
            var attentionRoutes = new long[batch * time][];
            var attended = Attention(x, mask, p, attentionRoutes);
            h = Zip(h, attended);
            var x2 = Map(h, v => LayerNorm(v, p + "ln_2"));
            var mlpRoutes = new long[batch * time][];
            var mixed = new Tensor[batch, time];
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < time; t++)
                {
                    var (experts, gates) = Route(x2[b, t], p + "mlpf.gate", config.MlpTopK);
                    mlpRoutes[b * time + t] = experts;
                    mixed[b, t] = zeros(config.HiddenSize, dtype: ScalarType.Float64);
                    for (int s = 0; s < experts.Length; s++)
                    {
                        var hidden = Gelu(x2[b, t].matmul(W(p + "mlpf.experts.weight")[experts[s]]));
                        mixed[b, t] += gates[s] * hidden.matmul(W(p + "mlpf.output_experts.weight")[experts[s]]);
                    }
                }
            h = Zip(h, mixed);
            routing.Add((attentionRoutes, mlpRoutes));
        }
        var logits = new List<Tensor>();
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++) logits.Add(W("lm_head.weight").matmul(LayerNorm(h[b, t], "transformer.ln_f")));
        return (stack(logits).view(batch, time, -1), routing);
    }

    private Tensor[,] Attention(Tensor[,] x, long[][]? mask, string p, long[][] routes)
    {
        int batch = x.GetLength(0), time = x.GetLength(1), heads = config.Heads, d = config.HeadSize;
        Tensor Project(Tensor v, string which) => config.IdentityKeyValue ? v : W(p + $"attn.{which}.weight").matmul(v) + W(p + $"attn.{which}.bias");
        var output = new Tensor[batch, time];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < time; i++)
            {
                var (experts, gates) = Route(x[b, i], p + "attn.q_proj.gate", config.AttentionTopK);
                routes[b * time + i] = experts;
                output[b, i] = zeros(config.HiddenSize, dtype: ScalarType.Float64);
                for (int s = 0; s < experts.Length; s++)
                {
                    var q = x[b, i].matmul(W(p + "attn.q_proj.experts.weight")[experts[s]]);      // (A,)
                    var y = zeros(config.AttentionHidden, dtype: ScalarType.Float64);
                    for (int head = 0; head < heads; head++)
                    {
                        var qh = q.narrow(0, head * d, d);
                        // Break the stick from the current token backwards; padded keys are skipped.
                        double remaining = 1;
                        for (int c = i; c >= 0; c--)
                        {
                            if (mask is not null && mask[b][c] == 0) continue;
                            var kc = Project(x[b, c], "k_proj").narrow(0, head * d, d);
                            var vc = Project(x[b, c], "v_proj").narrow(0, head * d, d);
                            double z = 1 / (1 + Math.Exp(-qh.dot(kc).item<double>() / Math.Sqrt(d)));
                            y.narrow(0, head * d, d).add_(vc * (z * remaining));
                            remaining *= 1 - z;
                        }
                    }
                    output[b, i] += gates[s] * y.matmul(W(p + "attn.q_proj.output_experts.weight")[experts[s]]);
                }
            }
        return output;
    }

    private (long[] Experts, double[] Gates) Route(Tensor v, string gate, int k)
    {
        var logits = config.GateType == "mlp"
            ? W(gate + ".w_gate.3.weight").matmul(ErfGelu(W(gate + ".w_gate.0.weight").matmul(v) + W(gate + ".w_gate.0.bias")))
            : W(gate + ".w_gate.weight").matmul(v);
        var probs = logits.softmax(0).data<double>().ToArray();
        var order = Enumerable.Range(0, probs.Length).OrderByDescending(e => probs[e]).Take(k).ToArray();
        return (order.Select(e => (long)e).ToArray(), order.Select(e => probs[e]).ToArray());
    }

    private Tensor LayerNorm(Tensor v, string name)
    {
        var centered = v - v.mean();
        var variance = (centered * centered).mean();
        return centered / (variance + 1e-5).sqrt() * W(name + ".weight") + W(name + ".bias");
    }

    private static Tensor Gelu(Tensor v) => 0.5 * v * (1 + (Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v.pow(3))).tanh());
    private static Tensor ErfGelu(Tensor v) => 0.5 * v * (1 + special.erf(v / Math.Sqrt(2)));

    private static Tensor[,] Map(Tensor[,] a, Func<Tensor, Tensor> f)
    {
        var r = new Tensor[a.GetLength(0), a.GetLength(1)];
        for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = f(a[i, j]);
        return r;
    }

    private static Tensor[,] Zip(Tensor[,] a, Tensor[,] b)
    {
        var r = new Tensor[a.GetLength(0), a.GetLength(1)];
        for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) r[i, j] = a[i, j] + b[i, j];
        return r;
    }
}
