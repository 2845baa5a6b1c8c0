using System.Globalization;
using ModuleService.Model.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Training;

/// <summary>
/// Resumable trainer state as one safetensors file: <c>model.{name}</c> for every parameter (frozen ones too),
/// <c>exp_avg.{name}</c> / <c>exp_avg_sq.{name}</c> for AdamW's moments of every trainable parameter, and the
/// counters in <c>__metadata__</c>. The moments are read from <see cref="AdamW.State"/> directly rather than via
/// TorchSharp's own <c>save_state_dict</c>, whose binary format only TorchSharp can read and which depends on
/// parameter-group order; names make the file inspectable and checkable.
/// </summary>
public sealed partial class Trainer
{
    private const string Format = "modsvc-trainer-state/1";

    /// <summary>Writes the state at the current step boundary.</summary>
    public void SaveState(Stream stream)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters()) tensors["model." + name] = parameter;
        var states = OptimizerStates();
        foreach (var (entry, state) in states)
        {
            tensors["exp_avg." + entry.Name] = state.exp_avg;
            tensors["exp_avg_sq." + entry.Name] = state.exp_avg_sq;
        }
        var metadata = new Dictionary<string, string>
        {
            ["modsvc_format"] = Format,
            ["completed_steps"] = Invariant(CompletedSteps),
            ["seed"] = Invariant(Options.Seed),
            ["batch_size"] = Invariant(Options.BatchSize),
            ["sequence_length"] = Invariant(Options.SequenceLength),
            ["data_fingerprint"] = Invariant(batcher.Fingerprint),
            ["selection"] = trainable.Description,
        };
        // Per parameter, because AdamW skips (and does not count) a step for a parameter that got no gradient.
        foreach (var (entry, state) in states) metadata["adam_step." + entry.Name] = Invariant(state.step);
        SafetensorsWriter.Write(stream, tensors, metadata);
    }

    /// <summary>Writes the state to <paramref name="path"/> atomically (temporary file + rename).</summary>
    public void SaveState(string path) => FileIo.WriteAtomically(path, SaveState);

    /// <summary>
    /// Restores weights, moments and counters saved by a trainer with the same model shape, selection, seed,
    /// batch shape and training data; anything else throws before a single tensor is changed.
    /// </summary>
    public void LoadState(Stream stream)
    {
        // SafetensorsReader validates a header against a file, so a stream goes through a temporary copy.
        var temporary = Path.Combine(Path.GetTempPath(), $"modsvc-trainer-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var file = File.Create(temporary)) stream.CopyTo(file);
            Load(temporary, "trainer state stream");
        }
        finally
        {
            FileIo.TryDelete(temporary);
        }
    }

    /// <inheritdoc cref="LoadState(Stream)"/>
    public void LoadState(string path) => Load(path, path);

    /// <param name="source">names the state in error messages.</param>
    private void Load(string path, string source)
    {
        using var reader = SafetensorsReader.Open(path);
        var meta = reader.Metadata;
        string Meta(string key) => meta.TryGetValue(key, out var value) ? value
            : throw new InvalidDataException($"{source}: trainer state lacks metadata \"{key}\"");
        if (Meta("modsvc_format") != Format) throw new InvalidDataException($"{source}: not a {Format} file");
        Expect(source, "seed", Meta("seed"), Invariant(Options.Seed));
        Expect(source, "batch_size", Meta("batch_size"), Invariant(Options.BatchSize));
        Expect(source, "sequence_length", Meta("sequence_length"), Invariant(Options.SequenceLength));
        Expect(source, "data_fingerprint", Meta("data_fingerprint"), Invariant(batcher.Fingerprint));
        Expect(source, "selection", Meta("selection"), trainable.Description);

        var parameters = model.named_parameters().ToList();
        var states = OptimizerStates();
        var targets = parameters.Select(p => ("model." + p.name, (Tensor)p.parameter))
            .Concat(states.SelectMany(s => new[] { ("exp_avg." + s.Entry.Name, s.State.exp_avg), ("exp_avg_sq." + s.Entry.Name, s.State.exp_avg_sq) }))
            .ToList();
        foreach (var (key, target) in targets)
        {
            if (!reader.Entries.TryGetValue(key, out var entry)) throw new InvalidDataException($"{source}: missing tensor \"{key}\"");
            if (!entry.Shape.SequenceEqual(target.shape) || entry.ScalarType != target.dtype)
                throw new InvalidDataException($"{source}: \"{key}\" is {entry.ScalarType} [{string.Join(", ", entry.Shape)}], expected {target.dtype} [{string.Join(", ", target.shape)}]");
        }
        if (reader.Entries.Count != targets.Count)
            throw new InvalidDataException($"{source}: holds {reader.Entries.Count} tensors, this trainer expects {targets.Count}");

        using (no_grad())
        {
            foreach (var (key, target) in targets)
            {
                using var saved = reader.ReadTensor(key);
                target.copy_(saved);
            }
        }
        foreach (var (entry, state) in states) state.step = long.Parse(Meta("adam_step." + entry.Name), CultureInfo.InvariantCulture);
        CompletedSteps = long.Parse(Meta("completed_steps"), CultureInfo.InvariantCulture);
    }

    /// <summary>AdamW's per-parameter state in optimizer order (state_dict lists groups, then their parameters).</summary>
    private List<(TrainableParameters.Entry Entry, AdamW.State State)> OptimizerStates()
    {
        var states = optimizer.state_dict().State;
        if (states.Count != optimizerOrder.Count)
            throw new InvalidOperationException($"AdamW holds {states.Count} states for {optimizerOrder.Count} parameters");
        return optimizerOrder.Zip(states, (entry, state) => (entry, (AdamW.State)state)).ToList();
    }

    private static void Expect(string source, string key, string saved, string current)
    {
        if (saved != current)
            throw new InvalidDataException($"{source}: saved with {key} = {saved}, but this trainer has {current}; resuming would not continue the same run");
    }

    private static string Invariant<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
