using ModuleService.Model;
using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>
/// The per-row expert masks of a batch as the model takes them: for each layer and kind, null when no row
/// restricts it, else (B, E) with all-true rows for unrestricted requests. Routing masks router logits, so rows
/// with different masks share every matmul. The tensors outlive dispose scopes; dispose this to free them.
/// </summary>
internal sealed class RowExpertMasks : IDisposable
{
    private readonly List<Tensor> owned = [];

    private RowExpertMasks(ExpertMask? mask) => Mask = mask;

    public ExpertMask? Mask { get; }

    public static RowExpertMasks Build(ModuleFormerConfig config, IReadOnlyList<Request> rows)
    {
        if (rows.All(r => r.Job.ExpertMask is null)) return new RowExpertMasks(null);
        var result = new RowExpertMasks(new ExpertMask(config.Layers));
        for (int layer = 0; layer < config.Layers; layer++)
        {
            result.Mask![layer].Attention = result.Stack(rows, config.AttentionExperts, r => r.Job.ExpertMask?[layer].Attention);
            result.Mask[layer].Mlp = result.Stack(rows, config.MlpExperts, r => r.Job.ExpertMask?[layer].Mlp);
        }
        return result;
    }

    /// <returns>(B, E) booleans, or null when no row restricts this layer and kind.</returns>
    private Tensor? Stack(IReadOnlyList<Request> rows, int experts, Func<Request, bool[]?> allowed)
    {
        if (rows.All(r => allowed(r) is null)) return null;
        var flags = new bool[rows.Count * experts];
        for (int i = 0; i < rows.Count; i++)
        {
            if (allowed(rows[i]) is { } row) row.CopyTo(flags, i * experts);
            else Array.Fill(flags, true, i * experts, experts);
        }
        var mask = tensor(flags, [rows.Count, experts]).DetachFromDisposeScope();
        owned.Add(mask);
        return mask;
    }

    public void Dispose()
    {
        foreach (var t in owned) t.Dispose();
        owned.Clear();
    }
}
