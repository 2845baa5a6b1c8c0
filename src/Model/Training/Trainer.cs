using System.Diagnostics;
using ModuleService.Model.Architecture;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Training;

/// <summary>
/// Trains a <see cref="ModuleFormerForCausalLM"/> in place with AdamW: LM cross-entropy + weighted router losses,
/// warm-up + cosine schedule, global gradient clipping, one dispose scope per step. Only the parameters of the
/// <see cref="TrainableSelection"/> change. Everything a step consumes is a function of the step number (data,
/// learning rate, dropout seed), so <see cref="SaveState(Stream)"/> + <see cref="LoadState(Stream)"/> resume exactly.
/// Not thread-safe; one trainer per model.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly ModuleFormerForCausalLM model;
    private readonly TokenBatcher batcher;
    private readonly IReadOnlyList<int>? validationTokens;
    private readonly TrainableParameters trainable;
    private readonly List<TrainableParameters.Entry> optimizerOrder;
    private readonly AdamW optimizer;
    private readonly bool usesRandomness;

    /// <param name="trainingTokens">the training stream (see <see cref="TokenBatcher.Concatenate"/> for documents).</param>
    /// <param name="selection">what trains; null trains everything.</param>
    /// <param name="validationTokens">evaluated every <see cref="TrainerOptions.EvalEvery"/> steps by <see cref="Run"/>.</param>
    public Trainer(ModuleFormerForCausalLM model, IReadOnlyList<int> trainingTokens, TrainerOptions options,
        TrainableSelection? selection = null, IReadOnlyList<int>? validationTokens = null)
    {
        options.Validate();
        // AdamW moments and updates in bf16 would round most small updates away; train in float32.
        if (model.DType != ScalarType.Float32) throw new ArgumentException($"training needs float32 weights, the model is {model.DType}", nameof(model));
        this.model = model;
        Options = options;
        this.validationTokens = validationTokens;
        batcher = new TokenBatcher(trainingTokens, options.BatchSize, options.SequenceLength, options.Seed);
        trainable = (selection ?? TrainableSelection.All).Apply(model);
        var groups = trainable.OptimizerGroups(options);
        optimizerOrder = groups.SelectMany(g => g.Members).ToList();
        optimizer = optim.AdamW(groups.Select(g => g.Group), options.LearningRate, options.Beta1, options.Beta2);
        // The moments live as long as the trainer, not as long as whatever dispose scope the caller is in.
        foreach (var (_, state) in OptimizerStates())
        {
            state.exp_avg.DetachFromDisposeScope();
            state.exp_avg_sq.DetachFromDisposeScope();
        }
        var c = model.Config;
        usesRandomness = c.EmbeddingDropout > 0 || c.ResidualDropout > 0 || c.RouterDropout > 0 || c.SampleTopK > 0;
    }

    public ModuleFormerForCausalLM Model => model;
    public TrainerOptions Options { get; }
    public TrainableParameters Trainable => trainable;

    /// <summary>Optimizer steps taken so far (restored by <see cref="LoadState(Stream)"/>).</summary>
    public long CompletedSteps { get; private set; }

    public long TokensTrained => CompletedSteps * Options.BatchSize * Options.SequenceLength;

    /// <summary>Runs one optimizer step on batch <see cref="CompletedSteps"/>.</summary>
    public StepMetrics Step()
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        long index = CompletedSteps;
        double learningRate = LearningRateSchedule.At(index, Options);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
        // Dropout draws from the global generator; reseeding per step makes a resumed step draw the same masks.
        Reseed(StepSeedStream, index);
        model.train();

        using var batch = batcher.Batch(index);
        optimizer.zero_grad();
        var device = model.LmHead.weight!.device;
        var (inputs, labels) = (batch.Inputs.to(device), batch.Labels.to(device));
        var (lmLoss, auxLoss, concentrationLoss) = Options.GradientCheckpointing
            ? CheckpointedBackward(inputs, labels, index)
            : Backward(inputs, labels);

        trainable.MaskGradients();
        double gradNorm = nn.utils.clip_grad_norm_(trainable.Parameters, Options.GradientClip > 0 ? Options.GradientClip : double.PositiveInfinity);
        trainable.DecayTrainableRows(learningRate, Options.WeightDecay);
        optimizer.step();
        CompletedSteps++;

        long stepTokens = batch.Tokens;
        return new StepMetrics(CompletedSteps, lmLoss.item<float>(), auxLoss.item<float>(), concentrationLoss.item<float>(),
            TokensTrained, stepTokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), learningRate, gradNorm);
    }

    /// <summary>
    /// Steps until <see cref="TrainerOptions.Steps"/>, reporting every <see cref="TrainerOptions.LogEvery"/> steps, after
    /// each evaluation and after the last step. Progress is reported synchronously on this thread, so a reporter may
    /// call <see cref="SaveState(Stream)"/>. Cancellation is checked before every step (and between evaluation
    /// batches) and surfaces as <see cref="OperationCanceledException"/> with the trainer at a step boundary.
    /// </summary>
    /// <returns>the last step's metrics, or null if no step was left.</returns>
    public StepMetrics? Run(IProgress<StepMetrics>? progress = null, CancellationToken cancellationToken = default)
    {
        StepMetrics? last = null;
        while (CompletedSteps < Options.Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var metrics = Step();
            bool final = CompletedSteps == Options.Steps;
            if (validationTokens is not null && Options.EvalEvery > 0 && (CompletedSteps % Options.EvalEvery == 0 || final))
                metrics = metrics with { Evaluation = Evaluate(cancellationToken) };
            if (metrics.Evaluation is not null || CompletedSteps % Options.LogEvery == 0 || final) progress?.Report(metrics);
            last = metrics;
        }
        return last;
    }

    /// <summary>Evaluates on the validation tokens (capped at <see cref="TrainerOptions.EvalTokens"/>).</summary>
    public EvaluationResult Evaluate(CancellationToken cancellationToken = default)
    {
        if (validationTokens is null) throw new InvalidOperationException("this trainer was created without validation tokens");
        return Evaluator.Evaluate(model, validationTokens, Options.SequenceLength, Options.BatchSize, Options.EvalTokens,
            cancellationToken: cancellationToken);
    }

    /// <summary>Forward with the whole graph kept, then one backward. Returns the undetached losses.</summary>
    private (Tensor Lm, Tensor Aux, Tensor Concentration) Backward(Tensor inputs, Tensor labels)
    {
        var output = model.forward(inputs);
        var lmLoss = NextTokenLoss(output.Logits, labels);
        var auxLoss = SumOverRouters(output, AuxLossOf);
        var concentrationLoss = SumOverRouters(output, RoutingLosses.LoadConcentration);
        WeightedLoss(lmLoss, auxLoss, concentrationLoss).backward();
        return (lmLoss, auxLoss, concentrationLoss);
    }

    /// <summary>Mean cross-entropy over B·T of (B, T, V) logits against (B, T) labels (the batcher already shifted them).</summary>
    private static Tensor NextTokenLoss(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), labels.reshape(-1));

    /// <summary>The objective: LM loss plus the router losses at their weights.</summary>
    private Tensor WeightedLoss(Tensor lmLoss, Tensor auxLoss, Tensor concentrationLoss) =>
        RouterPenalty(auxLoss, concentrationLoss) is { } penalty ? lmLoss + penalty : lmLoss;

    /// <summary>The router losses at their weights; null when both weights are 0 (nothing to add to the graph).</summary>
    private Tensor? RouterPenalty(Tensor auxLoss, Tensor concentrationLoss)
    {
        Tensor? penalty = null;
        if (Options.AuxLossWeight > 0) penalty = Options.AuxLossWeight * auxLoss;
        if (Options.LoadConcentrationWeight > 0)
            penalty = penalty is null ? Options.LoadConcentrationWeight * concentrationLoss : penalty + Options.LoadConcentrationWeight * concentrationLoss;
        return penalty;
    }

    private static Tensor SumOverRouters(CausalLMOutput output, Func<RouterOutput, Tensor> loss) =>
        output.Routing.Select(layer => OfLayer(layer, loss)).Aggregate((a, b) => a + b);

    /// <summary>A router loss of one block: its attention router's plus its MLP router's.</summary>
    private static Tensor OfLayer(LayerRouting layer, Func<RouterOutput, Tensor> loss) => loss(layer.Attention) + loss(layer.Mlp);

    /// <summary>The config's aux loss of one router.</summary>
    private Tensor AuxLossOf(RouterOutput routing) => RoutingLosses.ForConfig(model.Config, routing);

    /// <summary>
    /// Seeds the global generator (dropout, sampled top-k) from (seed, stream, step) when the config draws at all,
    /// so a resumed or recomputed pass draws what the first one drew.
    /// </summary>
    private void Reseed(long stream, long step)
    {
        if (usesRandomness) manual_seed((long)DeterministicRandom.Bits(Options.Seed, stream, step));
    }

    /// <summary>Stream of the step's seed (embedding dropout, and every block without checkpointing); the data order uses 0 and up.</summary>
    private const long StepSeedStream = -1;

    public void Dispose()
    {
        optimizer.Dispose();
        trainable.Dispose();
    }
}
