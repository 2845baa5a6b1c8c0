using System.Diagnostics;
using ModuleService.Model.Training;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Training.TrainingTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

[Collection(TrainingTestData.Collection)]
public sealed class TrainerTests
{
    [Fact]
    public void Step_OverfitsAFixedBatch()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 1);
        // T + 1 tokens: every window of every batch is the same sequence.
        var tokens = RandomTokens(17, config.VocabSize, seed: 2);
        using var trainer = new Trainer(model, tokens, Options(steps: 50) with { WarmupSteps = 5, WeightDecay = 0 });

        var losses = Enumerable.Range(0, 50).Select(_ => trainer.Step().LmLoss).ToList();

        Assert.True(losses[^1] <= 0.5 * losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.Equal(50, trainer.CompletedSteps);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("new-mlp")]
    public void SaveAndLoadState_ResumeBitIdenticallyToAnUninterruptedRun(string mode)
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        var tokens = RandomTokens(300, config.VocabSize, seed: 4);
        var options = Options(steps: 6) with { WeightDecay = 0.1, AuxLossWeight = 0.01, LoadConcentrationWeight = 0.01 };
        TrainableSelection Selection() => mode == "all" ? TrainableSelection.All : TrainableSelection.NewExperts(null, 2);

        using var straight = NewModel(config, seed: 1);
        using (var trainer = new Trainer(straight, tokens, options, Selection())) trainer.Run();

        using var first = NewModel(config, seed: 1);
        var saved = new MemoryStream();
        using (var trainer = new Trainer(first, tokens, options, Selection()))
        {
            for (int i = 0; i < 3; i++) trainer.Step();
            trainer.SaveState(saved);
        }
        using var resumed = NewModel(config, seed: 99);   // different weights: all of them must come from the state
        using var resumedTrainer = new Trainer(resumed, tokens, options, Selection());
        saved.Position = 0;
        resumedTrainer.LoadState(saved);
        Assert.Equal(3, resumedTrainer.CompletedSteps);
        resumedTrainer.Run();

        var expected = Snapshot(straight);
        foreach (var (name, parameter) in resumed.named_parameters()) AssertSameBytes(expected[name], parameter, name);
    }

    [Fact]
    public void Step_WithClippingOff_LeavesTheGradientUnscaled()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        var tokens = RandomTokens(300, config.VocabSize, seed: 4);
        using var model = NewModel(config, seed: 1);
        using var unclipped = new Trainer(model, tokens, Options(steps: 1) with { GradientClip = 0 });
        var first = unclipped.Step();
        var norm = Math.Sqrt(model.parameters().Where(p => p.grad is not null).Sum(p => p.grad!.pow(2).sum().item<float>()));

        Assert.True(double.IsFinite(first.GradNorm) && first.GradNorm > 0, $"grad norm {first.GradNorm}");
        Assert.Equal(first.GradNorm, norm, 4);
    }

    [Fact]
    public void LoadState_RefusesAStateFromADifferentRun()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        var tokens = RandomTokens(300, config.VocabSize, seed: 4);
        using var model = NewModel(config, seed: 1);
        var saved = new MemoryStream();
        using (var trainer = new Trainer(model, tokens, Options(steps: 2))) trainer.SaveState(saved);

        using var other = new Trainer(model, tokens, Options(steps: 2) with { Seed = 12 });
        saved.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => other.LoadState(saved));
        Assert.Contains("seed", error.Message);
    }

    [Fact]
    public void Run_StopsAtTheNextStepBoundaryAfterCancellation()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 1);
        using var trainer = new Trainer(model, RandomTokens(300, config.VocabSize, 4), Options(steps: 1000));
        using var cancellation = new CancellationTokenSource();
        var clock = new Stopwatch();
        var progress = new SynchronousProgress<StepMetrics>(metrics =>
        {
            if (metrics.Step == 3) { cancellation.Cancel(); clock.Start(); }
        });

        Assert.Throws<OperationCanceledException>(() => trainer.Run(progress, cancellation.Token));

        Assert.Equal(3, trainer.CompletedSteps);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"cancellation took {clock.ElapsedMilliseconds} ms to stop the loop");
        Assert.Throws<OperationCanceledException>(() => trainer.Run(null, cancellation.Token));
        Assert.Equal(3, trainer.CompletedSteps);
    }

    [Fact]
    public void Run_ReportsEveryLogEveryStepsAndAttachesEvaluations()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 1);
        var options = Options(steps: 7) with { LogEvery = 3, EvalEvery = 5, EvalTokens = 40 };
        using var trainer = new Trainer(model, RandomTokens(300, config.VocabSize, 4), options,
            validationTokens: RandomTokens(100, config.VocabSize, 5));
        var reports = new List<StepMetrics>();

        var last = trainer.Run(new SynchronousProgress<StepMetrics>(reports.Add));

        Assert.Equal([3L, 5L, 6L, 7L], reports.Select(r => r.Step));
        Assert.Equal([5L, 7L], reports.Where(r => r.Evaluation is not null).Select(r => r.Step));
        Assert.Equal(40, reports[^1].Evaluation!.Tokens);
        Assert.Equal(7 * 4 * 16, last!.Tokens);
        Assert.True(model.training);
        Assert.All(reports, r => Assert.True(r.TokensPerSecond > 0 && r.GradNorm > 0 && double.IsFinite(r.AuxLoss)));
    }

    [Fact]
    public void Constructor_RefusesBfloat16Weights()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 1);
        model.to(ScalarType.BFloat16);

        Assert.Throws<ArgumentException>(() => new Trainer(model, RandomTokens(100, config.VocabSize, 4), Options(steps: 1)));
    }

    [Fact]
    public void LearningRateSchedule_WarmsUpLinearlyThenDecaysToTenPercent()
    {
        var options = new TrainerOptions { LearningRate = 1e-3, WarmupSteps = 10, Steps = 110 };

        Assert.Equal(1e-4, LearningRateSchedule.At(0, options), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(9, options), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(10, options), 12);
        Assert.Equal(5.5e-4, LearningRateSchedule.At(60, options), 12);
        Assert.Equal(1e-4, LearningRateSchedule.At(110, options), 12);
        Assert.Equal(1e-4, LearningRateSchedule.At(500, options), 12);
    }

    [Fact]
    public void LearningRateSchedule_WithCooldown_HoldsThePeakThenFallsLinearlyToTheFloor()
    {
        var options = new TrainerOptions { LearningRate = 1e-3, WarmupSteps = 10, Steps = 100, CooldownFraction = 0.2, MinLearningRateRatio = 0 };

        Assert.Equal(1e-4, LearningRateSchedule.At(0, options), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(50, options), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(79, options), 12);
        Assert.Equal(5e-4, LearningRateSchedule.At(89, options), 12);
        Assert.Equal(0, LearningRateSchedule.At(99, options), 12);
    }
}
