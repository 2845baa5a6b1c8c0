using System.Globalization;
using System.Text;
using static ModuleService.Cli.Experiments.PassCriteria;

namespace ModuleService.Cli.Experiments;

/// <summary>Writes <c>README.md</c> (tables, verdicts, figures), the PNGs and <c>results.json</c> into the results folder.</summary>
public static class ResultsReport
{
    public const string Command = "dotnet run --project src/Cli -c Release -- experiments run";

    public static void Write(ProtocolResults r, string folder)
    {
        Directory.CreateDirectory(folder);
        var plots = ResultsPlots.Draw(r);
        foreach (var (file, _, png) in plots) File.WriteAllBytes(Path.Combine(folder, file), png);
        File.WriteAllText(Path.Combine(folder, "results.json"), ResultsJson.Serialize(r));
        var md = new StringBuilder();
        void L(string line = "") => md.Append(line).Append('\n');
        string Fig(string file) => plots.Where(p => p.File == file).Select(p => $"![{p.Caption}]({p.File})").Single();
        var b = r.Budget;

        L("# ModuleFormer at small scale: efficiency, extendability, specialisation");
        L("");
        L($"Regenerate: `{Command}{(b.ExtraSmall ? " --ci" : b.Scale == 1 ? "" : $" --scale {b.Scale:0.###}")}` (needs the corpora of `scripts/fetch-corpora.sh`). " +
          "Protocol and pass criteria: `data-and-evaluation.md` §4. Raw numbers: [results.json](results.json).");
        L("");
        L($"Budget **{b.Name}**: pretraining {b.PretrainTokens:N0} tokens per model, P′ {r.IsoTimeTokens:N0}, extension {b.ExtendTokens:N0}, " +
          $"finetuning {b.SpecialiseTokens:N0}; {b.TokensPerStep:N0} tokens a step (B {b.BatchSize} × T {b.Models.SequenceLength}); one seed (1). " +
          $"Machine at start: {r.MachineAtStart}; at end: {r.MachineAtEnd}; {(r.Parallel ? "two queues in parallel" : "one queue")}, {r.WallSeconds / 60:F0} min wall-clock. " +
          "All perplexities are per token of the tiny-k1024 tokenizer on the validation splits (≤ " + $"{b.ValidationTokens:N0} tokens per domain); the test splits were not used.");
        L("");
        L("## Verdicts");
        L("");
        L("| claim | criterion | measured | |");
        L("|---|---|---|---|");
        foreach (var v in PassCriteria.Evaluate(r)) L($"| {v.Claim} | {v.Criterion} | {v.Measured} | {v.Mark} |");
        L("");
        EfficiencySection(r, L, Fig);
        ExtensionSection(r, L, Fig);
        SpecialisationSection(r, L, Fig);
        L("## Notes");
        L("");
        L("* Models (§4.1): d 128, 4 layers, T 256, vocabulary 1088, untied embeddings, no dropout, fp32. The attention is the same " +
          "in all three (one stick-breaking attention module of 2 heads × 64 per layer), so the models differ only in the FFN; " +
          "the SMoE's MLP router is ModuleFormer's (Linear d→64, GELU, Linear 64→E, softmax over all experts, top-2, gates not renormalised).");
        L("* Training (§4.1): AdamW β 0.9/0.95, weight decay 0.1 (none on norms and biases), min(100, steps / 4) warm-up steps, constant rate " +
          $"(pretraining {TrainingSettings.PretrainLearningRate:0.###}, finetuning {TrainingSettings.FinetuneLearningRate:0.###}), linear cool-down to 0 over the last 20 %, clip 1.0, MI loss 0.01.");
        L("* One seed per run: the doc expects 1–3 % seed noise at this scale, so differences below ≈ 5 % are ties.");
        L("* Throughput comes from a probe that trains each model for a few steps back to back in one process before the runs start; " +
          "training times of the runs themselves are in results.json but depend on what else the machine did.");
        if (File.Exists(Path.Combine(folder, "DISCUSSION.md"))) L("* Why criteria were missed, and what that means: [DISCUSSION.md](DISCUSSION.md) (hand-written for the committed run).");
        File.WriteAllText(Path.Combine(folder, "README.md"), md.ToString());
    }

    static void EfficiencySection(ProtocolResults r, Action<string> L, Func<string, string> Fig)
    {
        L("## Claim 1 — efficiency");
        L("");
        L("| model | params total / active | tokens | PPL en | PPL py | PPL mix | bits/byte en / py | train tok/s | eval tok/s | generation ms/token |");
        L("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in new[] { r.Sparse!, r.DenseActive!, r.DenseTotal!, r.SparseIsoTime! })
        {
            var t = r.ThroughputOf(run.Name == Names.SparseIsoTime ? Names.Sparse : run.Name);
            var p = run.Curve[^1].Perplexity;
            L($"| {run.Name} | {t.TotalParameters / 1e6:F2} M / {t.ActiveParameters / 1e6:F2} M | {run.Tokens:N0} | {p[En]:F2} | {p[Py]:F2} | {Mixture(run):F2} | " +
              $"{run.Final[En].BitsPerByte:F3} / {run.Final[Py].BitsPerByte:F3} | {t.TrainTokensPerSecond:N0} | {t.EvalTokensPerSecond:N0} | {t.GenerationMsPerToken:F2} |");
        }
        L("");
        L($"Gap closed g = (PPL_Dact − PPL_SMoE) / (PPL_Dact − PPL_Dtot) = **{GapClosed(r):F2}** at equal tokens. " +
          $"P′ trains the SMoE for {r.IsoTimeTokens:N0} tokens, the tokens D-total's {r.Budget.PretrainTokens:N0} take at the probe's rates. " +
          "Active parameters exclude the input embedding (a lookup) and include the LM head.");
        L("");
        L(Fig("efficiency-tokens.png"));
        L(Fig("efficiency-time.png"));
        L("");
    }

    static void ExtensionSection(ProtocolResults r, Action<string> L, Func<string, string> Fig)
    {
        L("## Claim 2 — extendability");
        L("");
        L($"SMoE-ext: {r.Budget.NewExperts} new MLP experts per layer (and router rows), only they train on de-man; the dense models finetune every parameter on the same data and schedule.");
        L("");
        L("| model | PPL en before → after | PPL py before → after | PPL de before → after | trained parameters |");
        L("|---|---|---|---|---|");
        foreach (var run in new[] { r.SparseExtended!, r.DenseTotalFinetuned!, r.DenseActiveFinetuned! })
        {
            string Cell(string d) => string.Create(CultureInfo.InvariantCulture, $"{run.Curve[0].Perplexity[d]:F2} → {run.Curve[^1].Perplexity[d]:F2} ({Rise(run, d):+0.0%;-0.0%})");
            L($"| {run.Name} | {Cell(En)} | {Cell(Py)} | {Cell(De)} | {(run == r.SparseExtended ? "new experts only" : "all")} |");
        }
        var f = r.Frozen!;
        L("");
        L($"Frozen check: {f.Tensors} tensors of the pretrained model ({f.Elements:N0} values) compared bit for bit after training — " +
          $"{(f.Identical ? "all identical" : "changed: " + string.Join(", ", f.Changed))}; the new rows of {f.GrownTensorsThatTrained} of {f.GrownTensors} grown tensors changed.");
        L("");
        L($"Domain–expert mutual information of the MLP routers (mean over layers, nats): pretrained {UsageStatistics.MutualInformation(r.Sparse!.Final):F3}, extended {UsageStatistics.MutualInformation(r.SparseExtended!.Final):F3}.");
        L("");
        L(Fig("extension-bars.png"));
        L(Fig("extension-tradeoff.png"));
        L(Fig("usage-pretrained.png"));
        L(Fig("usage-extended.png"));
        L("");
    }

    static void SpecialisationSection(ProtocolResults r, Action<string> L, Func<string, string> Fig)
    {
        L("## Claim 3 — specialisation");
        L("");
        L($"Both arms finetune the pretrained SMoE on py-code; experts are ranked per layer by their share of selections on the first {r.Budget.UsageTokens:N0} Python *training* tokens, and the model is cut to the top m (the others and their router rows removed).");
        L("");
        L("| kept per layer | FFN experts removed | all parameters removed | PPL py, λc = 0 | PPL py, λc = 0.1 | PPL en, λc = 0 | PPL en, λc = 0.1 |");
        L("|---|---|---|---|---|---|---|");
        foreach (var (plain, focused) in r.Plain!.Pruning.Zip(r.Concentrated!.Pruning))
            L($"| {plain.Kept} | {plain.RemovedExpertFraction:P0} | {plain.RemovedParameterFraction:P0} | {plain.PythonPerplexity:F2} | {focused.PythonPerplexity:F2} | {plain.EnglishPerplexity:F2} | {focused.EnglishPerplexity:F2} |");
        L("");
        L($"Usage on the Python subset: entropy {r.Plain.MeanEntropy:F3} nats ({r.Plain.MeanEffectiveExperts:F2} effective experts of {r.Budget.Models.Sparse.MlpExperts}) with λc = 0, " +
          $"{r.Concentrated.MeanEntropy:F3} nats ({r.Concentrated.MeanEffectiveExperts:F2}) with λc = 0.1 (mean over layers).");
        L("");
        L(Fig("pruning-curve.png"));
        L(Fig("specialisation-curves.png"));
        L(Fig("usage-python-lc0.png"));
        L(Fig("usage-python-lc0.1.png"));
        L("");
    }
}
