using static TorchSharp.torch;

namespace ModuleService.Cli.Experiments;

/// <summary>
/// Every tensor of a model before extension against the same tensor after training: whole tensors bit for bit, and
/// for expert tensors that grew on the expert axis their first (old) rows. The appended rows are compared with their
/// state right after surgery, to show that they — and only they — trained.
/// </summary>
public sealed record FrozenCheck(int Tensors, long Elements, IReadOnlyList<string> Changed, int GrownTensors, int GrownTensorsThatTrained)
{
    public bool Identical => Changed.Count == 0;

    /// <param name="before">the pretrained model's state dict.</param>
    /// <param name="afterSurgery">the extended model's state dict before training (a copy).</param>
    /// <param name="trained">the extended model's state dict after training.</param>
    public static FrozenCheck Compare(IReadOnlyDictionary<string, Tensor> before, IReadOnlyDictionary<string, Tensor> afterSurgery,
        IReadOnlyDictionary<string, Tensor> trained)
    {
        using var scope = NewDisposeScope();
        var changed = new List<string>();
        int tensors = 0, grown = 0, grownTrained = 0;
        long elements = 0;
        foreach (var (key, old) in before)
        {
            var current = trained[key];
            long oldRows = old.dim() == 0 ? 0 : old.shape[0];
            bool grew = old.dim() > 0 && current.shape[0] != oldRows;
            var oldPart = grew ? current.narrow(0, 0, oldRows) : current;
            if (!SameBytes(old, oldPart)) changed.Add(key);
            tensors++;
            elements += old.numel();
            if (!grew) continue;
            grown++;
            var newRows = current.narrow(0, oldRows, current.shape[0] - oldRows);
            var initialRows = afterSurgery[key].narrow(0, oldRows, current.shape[0] - oldRows);
            if (!SameBytes(initialRows, newRows)) grownTrained++;
        }
        return new FrozenCheck(tensors, elements, changed, grown, grownTrained);
    }

    /// <summary>A detached copy of a state dict that outlives the caller's dispose scope.</summary>
    public static Dictionary<string, Tensor> Snapshot(IReadOnlyDictionary<string, Tensor> stateDict) =>
        stateDict.ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());

    static bool SameBytes(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);
}
