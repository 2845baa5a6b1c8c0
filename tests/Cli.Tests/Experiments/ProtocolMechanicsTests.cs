using ModuleService.Cli.Experiments;
using ModuleService.Model.Architecture;
using ModuleService.Model.Surgery;
using ModuleService.Model.Training;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Cli.Tests.Experiments;

/// <summary>
/// Runs the whole protocol once at CI size (data-and-evaluation §4.4: XS model, ≈ 50 k tokens a phase, one thread)
/// and writes its report; the facts below check the mechanics on that run, not the claims.
/// </summary>
public sealed class CiProtocolFixture : IDisposable
{
    public CiProtocolFixture()
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            Data = ProtocolData.Load(CiCorpus.Root(), ProtocolBudget.Ci);
            Log = new StringWriter();
            Results = ProtocolRunner.Run(Data, ProtocolBudget.Ci, parallel: false, new ProtocolLog(TextWriter.Synchronized(Log)),
                (model, _) => IsoTimeModel = ExtendPhase.Copy(model));
            ResultsReport.Write(Results, ReportFolder);
        }
        finally { set_num_threads(threads); }
    }

    public ProtocolData Data { get; }
    public ProtocolResults Results { get; }
    public StringWriter Log { get; }
    public ModuleFormerForCausalLM? IsoTimeModel { get; private set; }
    public string ReportFolder { get; } = Path.Combine(Path.GetTempPath(), $"modsvc-ci-results-{Guid.NewGuid():N}");

    public void Dispose()
    {
        IsoTimeModel?.Dispose();
        Directory.Delete(ReportFolder, recursive: true);
    }
}

public sealed class ProtocolMechanicsTests(CiProtocolFixture ci) : IClassFixture<CiProtocolFixture>
{
    [Fact]
    public void EveryTrainingRun_LowersItsLoss()
    {
        var r = ci.Results;
        foreach (var run in new[] { r.Sparse!, r.DenseActive!, r.DenseTotal!, r.SparseIsoTime!, r.SparseExtended!, r.DenseTotalFinetuned!, r.Plain!.Run, r.Concentrated!.Run })
        {
            double first = run.TrainLoss.Take(5).Average(p => p.Loss), last = run.TrainLoss.TakeLast(5).Average(p => p.Loss);
            Assert.True(last < first, $"{run.Name}: training loss {first:F3} → {last:F3}");
        }
        foreach (var run in new[] { r.Sparse!, r.DenseActive!, r.DenseTotal! })
            Assert.True(PassCriteria.MixtureAt(run.Curve[^1]) < PassCriteria.MixtureAt(run.Curve[0]), $"{run.Name}: validation perplexity did not fall");
        Assert.True(r.SparseExtended!.Curve[^1].Perplexity[CorpusFiles.German] < r.SparseExtended.Curve[0].Perplexity[CorpusFiles.German], "extension did not learn German");
    }

    [Fact]
    public void Extension_LeavesEveryOldTensorBitIdentical_AndTrainsTheNewRows()
    {
        var check = ci.Results.Frozen!;
        Assert.True(check.Identical, "changed: " + string.Join(", ", check.Changed));
        Assert.True(check.Tensors > 20);
        // Per layer: expert weights, output expert weights, router rows — every grown tensor's new rows trained.
        Assert.Equal(3 * ProtocolBudget.Ci.Models.Sparse.Layers, check.GrownTensors);
        Assert.Equal(check.GrownTensors, check.GrownTensorsThatTrained);
    }

    [Fact]
    public void Extension_GivesGradientsOnlyToTheNewExperts()
    {
        using var scope = NewDisposeScope();
        var budget = ProtocolBudget.Ci;
        var model = ci.IsoTimeModel!;
        var (grownConfig, grown) = ExpertSurgery.AppendExperts(model.Config, model.state_dict(), ModuleKind.MlpExpert, 2, new Generator(3));
        using var extended = Model.Checkpoints.ModelCheckpoint.FromStateDict(grownConfig, grown);
        int oldExperts = model.Config.MlpExperts;
        using var trainer = new Trainer(extended, ci.Data.German.Train, TrainingSettings.Finetuning(budget, budget.TokensPerStep * 2L, 1),
            TrainableSelection.NewExperts(null, oldExperts));
        trainer.Step();

        foreach (var (name, parameter) in extended.named_parameters())
        {
            if (!trainer.Trainable.Names.Contains(name))
            {
                Assert.True(parameter.grad is null, $"{name} is frozen but has a gradient");
                continue;
            }
            Assert.Contains(name, trainer.Trainable.PartlyFrozen);   // only expert tensors train, and only partly
            using var grad = parameter.grad!;
            Assert.Equal(0, grad.narrow(0, 0, oldExperts).abs().sum().item<float>());
            Assert.True(grad.narrow(0, oldExperts, grad.shape[0] - oldExperts).abs().sum().item<float>() > 0, $"{name}: new rows got no gradient");
        }
    }

    [Fact]
    public void Pruning_RemovesExactlyThePlannedExperts_AndMaskedOnesAreNeverSelected()
    {
        using var scope = NewDisposeScope();
        var model = ci.IsoTimeModel!;
        var usage = DomainEvaluation.Usage(model, ci.Data.Python.TrainPrefix(4096), ProtocolBudget.Ci.Models.SequenceLength).Usage;
        var plan = PruningPlan.MostUsedMlpExperts(usage, 2);
        using var pruned = PruningPlan.Apply(model, plan);

        Assert.Equal(2, pruned.Config.MlpExperts);
        var before = model.state_dict();
        var after = pruned.state_dict();
        for (int layer = 0; layer < model.Config.Layers; layer++)
        {
            var (experts, outputExperts, router) = ModuleLayout.MoeKeys(model.Config, ModuleKind.MlpExpert, layer);
            using var kept = tensor(plan[layer].Select(e => (long)e).ToArray());
            foreach (var key in new[] { experts, outputExperts, router })
                Assert.True(before[key].index_select(0, kept).equal(after[key]).all().item<bool>(), $"{key}: not exactly the planned experts");
        }
        // The same cut as a mask on the unpruned model: the dropped experts get no selections and the scores agree.
        var mask = ExpertMask.Keep(model.Config, null, plan);
        var masked = DomainEvaluation.Score(model, ci.Data.Python, ProtocolBudget.Ci.Models.SequenceLength, mask: mask);
        foreach (var layer in masked.Result.Usage)
            for (int e = 0; e < model.Config.MlpExperts; e++)
                if (!plan[layer.Layer].Contains(e)) Assert.Equal(0, layer.Mlp.SelectionCounts[e]);
        var cut = DomainEvaluation.Score(pruned, ci.Data.Python, ProtocolBudget.Ci.Models.SequenceLength);
        Assert.Equal(masked.Perplexity, cut.Perplexity, 3);
    }

    [Fact]
    public void LoadConcentration_LowersUsageEntropy()
    {
        var r = ci.Results;
        Assert.True(r.Concentrated!.MeanEntropy < r.Plain!.MeanEntropy,
            $"entropy with λc = 0.1: {r.Concentrated.MeanEntropy:F4}, with λc = 0: {r.Plain.MeanEntropy:F4}");
    }

    [Fact]
    public void TheReport_IsWrittenWithItsFigures()
    {
        var files = Directory.GetFiles(ci.ReportFolder).Select(Path.GetFileName).ToHashSet();
        Assert.Contains("README.md", files);
        Assert.Contains("results.json", files);
        foreach (var png in new[] { "efficiency-tokens.png", "efficiency-time.png", "extension-bars.png", "pruning-curve.png", "usage-pretrained.png", "usage-extended.png" })
            Assert.Contains(png, files);
        var report = File.ReadAllText(Path.Combine(ci.ReportFolder, "README.md"));
        Assert.Contains("## Verdicts", report);
        Assert.Contains("gap closed", report);
    }
}
