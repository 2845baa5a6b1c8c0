using ModuleService.Model.Architecture;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Training;

/// <summary>
/// A model's parameters after a <see cref="TrainableSelection"/> was applied. Fully frozen parameters get
/// <c>requires_grad = false</c> (no gradient, no optimizer state). A partly frozen <c>[E, …]</c> parameter trains
/// as a whole but its frozen rows are protected: their gradients are zeroed after backward, and weight decay is
/// applied by hand to the trainable rows only, so AdamW sees zero gradient, keeps zero moments and moves those rows
/// by exactly −0.
/// </summary>
public sealed class TrainableParameters : IDisposable
{
    private readonly List<Entry> entries;

    private TrainableParameters(List<Entry> entries, long frozenElements, string description)
    {
        this.entries = entries;
        FrozenElements = frozenElements;
        Description = description;
    }

    /// <param name="FrozenRows">null, or bool (E, 1, …) — true where the row must not change.</param>
    /// <param name="TrainableRows">null, or (E, 1, …) in the parameter's dtype — 1 where the row trains.</param>
    internal sealed record Entry(string Name, Parameter Parameter, Tensor? FrozenRows, Tensor? TrainableRows);

    /// <summary>The selection this came from.</summary>
    public string Description { get; }

    /// <summary>State-dict names of the parameters that receive gradients, in optimizer order.</summary>
    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToList();

    /// <summary>Names of parameters of which only some expert rows train.</summary>
    public IReadOnlyList<string> PartlyFrozen => entries.Where(e => e.FrozenRows is not null).Select(e => e.Name).ToList();

    /// <summary>Scalars that training can change.</summary>
    public long TrainableElements => entries.Sum(e => e.TrainableRows is null
        ? e.Parameter.numel()
        : e.Parameter.numel() / e.Parameter.shape[0] * (long)e.TrainableRows.sum().item<float>());

    /// <summary>Scalars that stay bit-identical.</summary>
    public long FrozenElements { get; }

    internal IReadOnlyList<Entry> Entries => entries;
    internal IEnumerable<Parameter> Parameters => entries.Select(e => e.Parameter);

    internal static TrainableParameters Create(ModuleFormerForCausalLM model, IReadOnlyDictionary<string, IReadOnlySet<int>?> plan, string description)
    {
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var key in plan.Keys.Where(key => !named.ContainsKey(key)))
            throw new ArgumentException($"the selection names \"{key}\", which this model does not have");
        var entries = new List<Entry>();
        long frozen = 0;
        foreach (var (name, parameter) in named)
        {
            bool trains = plan.TryGetValue(name, out var rows);
            if (trains && rows is not null && rows.Count == parameter.shape[0]) rows = null;   // every row: whole
            parameter.requires_grad = trains;
            if (!trains) { frozen += parameter.numel(); continue; }
            if (rows is null) { entries.Add(new Entry(name, parameter, null, null)); continue; }
            var (frozenRows, trainableRows) = RowMasks(parameter, rows);
            frozen += parameter.numel() / parameter.shape[0] * (parameter.shape[0] - rows.Count);
            entries.Add(new Entry(name, parameter, frozenRows, trainableRows));
        }
        if (entries.Count == 0) throw new ArgumentException($"selection {description} leaves nothing to train");
        return new TrainableParameters(entries, frozen, description);
    }

    /// <summary>
    /// AdamW groups: decay on whole matrices (≥ 2-D), none on norms and biases (data-and-evaluation §4.1) and none
    /// inside AdamW for partly frozen parameters, whose decay <see cref="DecayTrainableRows"/> applies by hand.
    /// </summary>
    internal List<(AdamW.ParamGroup Group, List<Entry> Members)> OptimizerGroups(TrainerOptions options)
    {
        var decayed = entries.Where(e => e.FrozenRows is null && e.Parameter.dim() >= 2).ToList();
        var plain = entries.Except(decayed).ToList();
        var groups = new List<(AdamW.ParamGroup, List<Entry>)>();
        foreach (var (members, decay) in new[] { (decayed, options.WeightDecay), (plain, 0.0) })
        {
            if (members.Count == 0) continue;
            groups.Add((new AdamW.ParamGroup(members.Select(e => e.Parameter), options.LearningRate,
                options.Beta1, options.Beta2, eps: 1e-8, weight_decay: decay), members));
        }
        return groups;
    }

    /// <summary>Zeroes the gradient of frozen rows. masked_fill, not a 0/1 multiply: 0 · NaN would stay NaN.</summary>
    internal void MaskGradients()
    {
        foreach (var entry in entries.Where(e => e.FrozenRows is not null))
        {
            using var grad = entry.Parameter.grad;
            grad?.masked_fill_(entry.FrozenRows!, 0);
        }
    }

    /// <summary>AdamW's decoupled decay p ← p·(1 − lr·λ) on trainable rows of partly frozen matrices; frozen rows × 1.0 exactly.</summary>
    internal void DecayTrainableRows(double learningRate, double weightDecay)
    {
        if (learningRate * weightDecay == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var entry in entries.Where(e => e.TrainableRows is not null && e.Parameter.dim() >= 2))
            entry.Parameter.mul_(entry.TrainableRows! * -(learningRate * weightDecay) + 1);   // (E, 1, …) broadcasts
    }

    private static (Tensor Frozen, Tensor Trainable) RowMasks(Parameter parameter, IReadOnlySet<int> rows)
    {
        using var scope = NewDisposeScope();
        var shape = new long[parameter.dim()];
        Array.Fill(shape, 1L);
        shape[0] = parameter.shape[0];                                          // (E, 1, …)
        var flags = Enumerable.Range(0, (int)parameter.shape[0]).Select(rows.Contains).ToArray();
        var trainable = tensor(flags, device: parameter.device).reshape(shape);
        var frozen = trainable.logical_not();
        return (frozen.DetachFromDisposeScope(), trainable.to(parameter.dtype).DetachFromDisposeScope());
    }

    public void Dispose()
    {
        foreach (var entry in entries)
        {
            entry.FrozenRows?.Dispose();
            entry.TrainableRows?.Dispose();
        }
    }
}
