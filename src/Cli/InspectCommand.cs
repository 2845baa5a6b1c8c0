using System.Globalization;
using ModuleService.Model;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli;

/// <summary><c>modsvc inspect</c>: config summary, parameter counts and the modules of one layer.</summary>
public static class InspectCommand
{
    public const string Name = "inspect";

    public const string Usage = """
        Usage: modsvc inspect --checkpoint DIR [--json] [--verify]

        Prints the checkpoint's configuration, parameter counts (total and active per token) and the modules of
        one layer. Counts are computed from config.json; tensor names and shapes are checked against it from the
        safetensors headers without loading the weights.

          --checkpoint DIR   Hugging Face style checkpoint folder
          --json             print one JSON object instead of text
          --verify           load every tensor with the real loader (needed to check pytorch_model.bin files)

        Definitions (buffers attn.mask / attn.cum_weight are never parameters):
          total                   every parameter: wte + blocks + ln_f + lm_head
          active per token        blocks with k of E experts of each kind, full routers, all LayerNorms, K/V
                                  projections, plus ln_f and lm_head; the embedding is a row lookup and left out
                                  (= reference fixtures' active_params_per_token)
          active blocks + ln_f    the same without lm_head (spec §7.3 "active in blocks + ln_f")
          active incl. embedding  active per token + the whole wte table (spec §7.3 "active incl. wte + lm_head")

        """;

    private static readonly CommandSpec Spec = new(Name, Usage, ["--checkpoint"], ["--json", "--verify"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var checkpoint = options.Required("--checkpoint");
            var config = CheckpointModel.ReadConfig(checkpoint);
            var weights = CheckpointWeights.Inspect(checkpoint, config, options.Has("--verify"));
            var counts = ParameterCounts.For(config);
            if (weights.Parameters is long found && found != counts.Total)
                throw new CliException($"{checkpoint}: the weights hold {found:N0} parameter values, the config implies {counts.Total:N0}");
            var tokenizer = TokenizerDescription(checkpoint, config, stderr);
            if (options.Has("--json")) WriteJson(stdout, checkpoint, config, counts, weights, tokenizer);
            else WriteText(stdout, checkpoint, config, counts, weights, tokenizer);
            return ExitCodes.Ok;
        });

    private static string TokenizerDescription(string checkpoint, ModuleFormerConfig config, TextWriter log)
    {
        var tokenizer = CheckpointTokenizer.For(checkpoint, config, log);
        return tokenizer is TokenIdTokenizer ? $"{tokenizer.Name} (no tokenizer: prompts and outputs are token ids)" : tokenizer.Name;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static void WriteText(TextWriter o, string checkpoint, ModuleFormerConfig c, ParameterBreakdown p, WeightsSummary w, string tokenizer)
    {
        var l = p.Layer;
        string kv = c.IdentityKeyValue ? "K = V = LN1 output (no projections)" : "shared k_proj/v_proj Linears with bias";
        o.WriteLine($"checkpoint  {checkpoint}");
        o.WriteLine($"model       {c.ModelTypeName}, {c.Layers} layers, n_embd {c.HiddenSize}, vocab {c.VocabSize}, block_size {c.BlockSize}, history_length {c.HistoryLength}");
        o.WriteLine($"attention   {c.AttentionExperts} experts per layer, top-{c.AttentionTopK}; n_head {c.Heads}, att_hidden {c.AttentionHidden} (head size {c.HeadSize}); {kv}");
        o.WriteLine($"mlp         {c.MlpExperts} experts per layer, top-{c.MlpTopK}; ffd_hidden {c.MlpHidden}, activation {c.ActivationFunction}");
        o.WriteLine($"router      gate_type {c.GateType}{(c.GateType == "mlp" ? $", gating_size {c.GatingSize}" : "")}; aux_loss_type {c.AuxLossType}");
        o.WriteLine($"tokens      bos {c.BosTokenId?.ToString(CultureInfo.InvariantCulture) ?? "none"}, eos {c.EosTokenId?.ToString(CultureInfo.InvariantCulture) ?? "none"}; tokenizer {tokenizer}");
        o.WriteLine(w.Checked
            ? $"weights     {w.Format}: {string.Join(", ", w.Files)}; {w.Tensors} tensors, names and shapes match the config ({w.Tensors - w.Buffers} parameters, {w.Buffers} unused buffers)"
            : $"weights     {w.Format}: {string.Join(", ", w.Files)}; not checked (pickle files must be read in full: use --verify)");
        o.WriteLine();
        o.WriteLine("parameters (buffers excluded)");
        Row(o, "total", p.Total);
        Row(o, "  embedding wte [V, D]", p.Embedding);
        Row(o, $"  blocks ({c.Layers} × {N(l.Total)})", p.Blocks);
        Row(o, "  ln_f", p.FinalNorm);
        Row(o, "  lm_head [V, D]", p.LmHead);
        Row(o, "active per token (k of E experts; + ln_f, lm_head; no wte)", p.ActivePerToken);
        Row(o, "  active in blocks + ln_f", p.ActiveBlocksAndFinalNorm);
        Row(o, "  active incl. the whole wte table", p.ActiveIncludingEmbedding);
        o.WriteLine();
        o.WriteLine($"{"modules per layer",-30}{"modules",9}{"params each",14}{"params total",15}{"active/token",15}");
        Module(o, "attention experts (Wq, Wo)", l.AttentionExperts, l.AttentionExpert, $"top-{l.AttentionTopK}", l.AttentionTopK * l.AttentionExpert);
        Module(o, "MLP experts (W1, W2)", l.MlpExperts, l.MlpExpert, $"top-{l.MlpTopK}", l.MlpTopK * l.MlpExpert);
        Module(o, "attention router", 1, l.AttentionRouter, "", l.AttentionRouter);
        Module(o, "MLP router", 1, l.MlpRouter, "", l.MlpRouter);
        if (l.KeyValue > 0) Module(o, "K/V projections (shared)", 2, l.KeyValue / 2, "", l.KeyValue);
        Module(o, "LayerNorms ln_1, ln_2", 2, l.LayerNorms / 2, "", l.LayerNorms);
        o.WriteLine($"{"layer total",-30}{"",9}{"",14}{N(l.Total),15}{N(l.ActivePerToken),15}");
        o.WriteLine($"{"  of which shared by all tokens",-30}{"",9}{"",14}{N(l.Shared),15}{N(l.Shared),15}");
    }

    private static void Row(TextWriter o, string label, long value) => o.WriteLine($"  {label,-62}{N(value),16}");

    private static void Module(TextWriter o, string label, int count, long each, string note, long active) =>
        o.WriteLine($"{"  " + label,-30}{count,9}{N(each),14}{N(count * each),15}{N(active),15}{(note.Length > 0 ? "  (" + note + ")" : "")}");

    private static void WriteJson(TextWriter o, string checkpoint, ModuleFormerConfig c, ParameterBreakdown p, WeightsSummary w, string tokenizer)
    {
        var l = p.Layer;
        var document = new
        {
            checkpoint,
            config = new
            {
                n_layer = c.Layers, n_embd = c.HiddenSize, vocab_size = c.VocabSize, n_head = c.Heads, att_hidden = c.AttentionHidden,
                head_size = c.HeadSize, ffd_hidden = c.MlpHidden, n_att_experts = c.AttentionExperts, k_att = c.AttentionTopK,
                n_mlp_experts = c.MlpExperts, k_mlp = c.MlpTopK, gate_type = c.GateType, gating_size = c.GatingSize,
                activation_function = c.ActivationFunction, identity_key_value = c.IdentityKeyValue,
                block_size = c.BlockSize, history_length = c.HistoryLength, bos_token_id = c.BosTokenId, eos_token_id = c.EosTokenId,
            },
            tokenizer,
            weights = new { format = w.Format, files = w.Files, @checked = w.Checked, tensors = w.Tensors, buffers = w.Buffers, parameters = w.Parameters },
            num_parameters = p.Total,
            active_params_per_token = p.ActivePerToken,
            active_blocks_and_ln_f = p.ActiveBlocksAndFinalNorm,
            active_including_embedding = p.ActiveIncludingEmbedding,
            embedding_parameters = p.Embedding,
            lm_head_parameters = p.LmHead,
            ln_f_parameters = p.FinalNorm,
            blocks_parameters = p.Blocks,
            per_layer = new
            {
                total = l.Total, active_per_token = l.ActivePerToken, shared = l.Shared,
                attention_experts = l.AttentionExperts, attention_expert_parameters = l.AttentionExpert, k_att = l.AttentionTopK,
                mlp_experts = l.MlpExperts, mlp_expert_parameters = l.MlpExpert, k_mlp = l.MlpTopK,
                attention_router = l.AttentionRouter, mlp_router = l.MlpRouter, key_value_projections = l.KeyValue, layer_norms = l.LayerNorms,
            },
        };
        o.WriteLine(JsonText.Serialize(document));
    }
}
