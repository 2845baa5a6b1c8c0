using ModuleService.Model.Diagnostics;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// Stick-breaking attention as the reference computes it: for query i at absolute position p_i and key c ≤ p_i,
/// a_ic = σ(l_ic) · Π_{c &lt; j ≤ p_i} (1 − σ(l_ij)). The stick is broken from the current token backwards, the
/// diagonal is included, leftover mass is dropped. It is the model's only source of position information.
/// </summary>
public static class StickBreaking
{
    /// <summary>
    /// Query rows per chunk in <see cref="Attend"/>. A chunk only multiplies against the keys its last row can see,
    /// so a prefill of T tokens computes (n + 1)/(2n) of the T×C logits (n = T / chunk) instead of all of them,
    /// and the (B, k, H, rows, C) temporaries stay small for long prompts.
    /// </summary>
    public const int QueryChunk = 64;

    /// <param name="q">(B, T, k, H, d) queries of the T new tokens, one per selected expert slot.</param>
    /// <param name="k">(B, C, H, d) keys of all C = cached + new tokens.</param>
    /// <param name="v">(B, C, H, d) values.</param>
    /// <param name="attentionMask">null or (B, C) with 1 = keep, 0 = padding.</param>
    /// <returns>(B, T, k, H, d)</returns>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? attentionMask)
    {
        using var _ = ForwardProfiler.Scope("stick_breaking");
        long time = q.shape[1], context = k.shape[1];
        if (time > context)
            throw new ArgumentException($"queries ({time}) outnumber keys ({context})");
        if (time <= QueryChunk) return AttendLast(q, k, v, attentionMask);
        var chunks = new List<Tensor>();
        for (long start = 0; start < time; start += QueryChunk)
        {
            long rows = Math.Min(QueryChunk, time - start);
            long visible = context - time + start + rows;                           // keys of the chunk's last row
            chunks.Add(AttendLast(q.narrow(1, start, rows), k.narrow(1, 0, visible), v.narrow(1, 0, visible),
                attentionMask?.narrow(1, 0, visible)));
        }
        return cat(chunks, 1);
    }

    /// <summary>
    /// The T queries are the last T of the C positions: query i sits at C − T + i. Works in (B, H, k, T, C) so both
    /// products are plain batched matmuls over (B, H) (einsum's equation handling costs more than a decode step's
    /// arithmetic).
    /// </summary>
    private static Tensor AttendLast(Tensor q, Tensor k, Tensor v, Tensor? attentionMask)
    {
        var (batch, time, slots, heads, size) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], q.shape[4]);
        long context = k.shape[1];
        var queries = q.permute(0, 3, 2, 1, 4).reshape(batch, heads, slots * time, size);         // (B, H, k·T, d)
        var logits = (queries.matmul(k.permute(0, 2, 3, 1)) / Math.Sqrt(size))
            .view(batch, heads, slots, time, context);                                         // (B, H, k, T, C)
        if (attentionMask is not null)
        {
            // A padded key gets logit ≈ −3.4e38: σ = 0 (no weight) and log σ(−l) = 0 (consumes no stick).
            var padding = (1 - attentionMask.to(logits.dtype)) * finfo(logits.dtype).min; // (B, C)
            logits = logits + padding.view(batch, 1, 1, 1, context);
        }
        var z = nn.functional.sigmoid(logits);
        var logBeta = nn.functional.logsigmoid(-logits);
        if (time > 1)
        {
            // Query i sees keys j ≤ C − T + i; a single query (a decode step) sees every key.
            var future = ones(time, context, dtype: ScalarType.Bool, device: q.device).tril(context - time).logical_not(); // (T, C)
            z = z.masked_fill(future, 0);
            logBeta = logBeta.masked_fill(future, 0);
        }
        var att = z * SuffixSumExclusive(logBeta).exp();                                       // (B, H, k, T, C)
        var y = att.view(batch, heads, slots * time, context).matmul(v.permute(0, 2, 1, 3));   // (B, H, k·T, d)
        return y.view(batch, heads, slots, time, size).permute(0, 3, 2, 1, 4);                 // (B, T, k, H, d)
    }

    /// <summary>
    /// R_ic = Σ_{j &gt; c} λ_ij along the last axis. The reference multiplies by a C×C strictly-lower-triangular
    /// matrix (O(T·C²)); a reversed cumulative sum gives the same sums in O(T·C), which keeps the decode step
    /// linear in the context and long prompts affordable.
    /// </summary>
    internal static Tensor SuffixSumExclusive(Tensor logBeta)
    {
        long context = logBeta.shape[^1];
        var inclusive = logBeta.flip(-1).cumsum(-1).flip(-1);                      // Σ_{j ≥ c}
        if (context == 1) return zeros_like(inclusive);
        var shifted = inclusive.narrow(-1, 1, context - 1);                         // Σ_{j ≥ c+1}, c < C − 1
        var zero = zeros_like(inclusive.narrow(-1, 0, 1));
        return cat([shifted, zero], -1);
    }
}
