using ModuleService.Model.Architecture;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Architecture;

/// <summary>Stick-breaking attention against the formula evaluated in float64, in and beyond one query chunk.</summary>
public sealed class StickBreakingTests
{
    [Theory]
    [InlineData(1, 40, false)]                                     // a decode step: no future keys at all
    [InlineData(StickBreaking.QueryChunk, StickBreaking.QueryChunk, true)]
    [InlineData(150, 150, false)]                                  // a prefill of three chunks, the last one short
    [InlineData(150, 170, true)]                                   // after 20 cached tokens, with padding
    public void AttendMatchesTheFormula(int time, int context, bool padded)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        const int batch = 2, slots = 2, heads = 2, size = 8;
        var q = randn([batch, time, slots, heads, size], generator: generator);
        var k = randn([batch, context, heads, size], generator: generator);
        var v = randn([batch, context, heads, size], generator: generator);
        var keep = new long[batch * context];
        for (int i = 0; i < keep.Length; i++) keep[i] = padded && i % context < 5 + i / context ? 0 : 1;   // row b: 5 + b padded keys
        var mask = padded ? tensor(keep, [batch, context]) : null;

        var actual = StickBreaking.Attend(q, k, v, mask).to(ScalarType.Float64).data<double>().ToArray();
        var expected = Formula(q, k, v, keep, time, context);
        double worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst < 1e-5, $"max |difference| {worst}");
    }

    /// <summary>y_i = Σ_{c ≤ p_i} σ(l_ic) Π_{c &lt; j ≤ p_i} (1 − σ(l_ij)) v_c, p_i = C − T + i, padded keys skipped.</summary>
    private static double[] Formula(Tensor q, Tensor k, Tensor v, long[] keep, int time, int context)
    {
        var (batch, slots, heads, size) = ((int)q.shape[0], (int)q.shape[2], (int)q.shape[3], (int)q.shape[4]);
        var qs = q.to(ScalarType.Float64).data<double>().ToArray();
        var ks = k.to(ScalarType.Float64).data<double>().ToArray();
        var vs = v.to(ScalarType.Float64).data<double>().ToArray();
        var y = new double[batch * time * slots * heads * size];                // (B, T, k, H, d)
        for (int b = 0; b < batch; b++)
        for (int i = 0; i < time; i++)
        for (int s = 0; s < slots; s++)
        for (int h = 0; h < heads; h++)
        {
            int query = (((b * time + i) * slots + s) * heads + h) * size;
            double stick = 1;                                                  // Π (1 − σ) of the keys after c
            for (int c = context - time + i; c >= 0; c--)
            {
                if (keep[b * context + c] == 0) continue;
                int key = ((b * context + c) * heads + h) * size;
                double logit = 0;
                for (int d = 0; d < size; d++) logit += qs[query + d] * ks[key + d];
                double sigma = 1 / (1 + Math.Exp(-logit / Math.Sqrt(size)));
                for (int d = 0; d < size; d++) y[query + d] += sigma * stick * vs[key + d];
                stick *= 1 - sigma;
            }
        }
        return y;
    }
}
