using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>
/// <c>modsvc score</c>: full-forward logits and greedy continuations for a file of cases, as one JSON object on
/// stdout. This is the parity check run against the reference fixtures from outside.
/// </summary>
public static class ScoreCommand
{
    public const string Name = "score";

    public const string Usage = """
        Usage: modsvc score --checkpoint DIR --cases FILE [--greedy-tokens N] [--dtype fp32|bf16]

        Runs each case of FILE through the checkpoint and prints ONE JSON object on stdout:
          {"cases": [{"name": str, "logits": [B][T][V], "greedy_new_ids": [B][N]}, ...]}

          --checkpoint DIR     Hugging Face style folder (config.json + model.safetensors, pytorch_model.bin or shards)
          --cases FILE         JSON object {"cases": [{"name", "input_ids": [[int]], "attention_mask": [[0|1]] | null}]};
                               other keys are ignored (reference fixture.json files work as they are)
          --greedy-tokens N    greedy tokens per row, with the KV cache and no EOS stop (default 16)
          --dtype fp32|bf16    weight dtype (default fp32); logits are float32 either way

        logits come from one full forward without cache, with the case's mask. Greedy decoding feeds the prompt once,
        then one token per step, appending 1 to the mask. Floats are printed in shortest round-trip form.
        Progress goes to stderr.

        """;

    private static readonly CommandSpec Spec = new(Name, Usage, ["--checkpoint", "--cases", "--greedy-tokens", "--dtype"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var checkpoint = options.Required("--checkpoint");
            var casesPath = options.Required("--cases");
            int greedyTokens = options.Int("--greedy-tokens", 16, min: 0);
            var dtype = options.DType();

            var cases = CasesFile.Load(casesPath);
            using var model = CheckpointModel.Load(checkpoint, dtype, stderr);
            // Everything is computed before anything is printed, so a failure never leaves half a JSON object.
            var results = cases.Select(c => Score(model, c, greedyTokens, stderr)).ToList();
            Write(stdout, results);
            return ExitCodes.Ok;
        });

    private sealed record CaseResult(string Name, float[] Logits, int[] LogitsShape, long[][] GreedyNewIds);

    private static CaseResult Score(ModuleFormerForCausalLM model, ScoreCase c, int greedyTokens, TextWriter log)
    {
        int vocab = model.Config.VocabSize;
        foreach (var id in c.InputIds.SelectMany(r => r))
            if (id < 0 || id >= vocab) throw new CliException($"case '{c.Name}': token id {id} is outside the vocabulary [0, {vocab})");
        log.WriteLine($"[score] {c.Name}: {c.Batch}×{c.Time}");

        using var scope = NewDisposeScope();
        var ids = tensor(c.InputIds.SelectMany(r => r).ToArray(), [c.Batch, c.Time]);
        var mask = c.AttentionMask is null ? null : tensor(c.AttentionMask.SelectMany(r => r).ToArray(), [c.Batch, c.Time]);
        float[] logits;
        using (inference_mode())
            logits = model.forward(ids, mask).Logits.contiguous().data<float>().ToArray();   // (B, T, V)

        // The (ids, mask) overload keeps the case's own padding; greedy sampling and no EOS give exactly N tokens.
        long[][] greedy = greedyTokens == 0
            ? Enumerable.Range(0, c.Batch).Select(_ => Array.Empty<long>()).ToArray()
            : TextGenerator.Generate(model, ids, mask, new GenerationOptions(greedyTokens), [SamplingOptions.Greedy]).Select(g => g.TokenIds).ToArray();
        return new CaseResult(c.Name, logits, [c.Batch, c.Time, vocab], greedy);
    }

    private static void Write(TextWriter stdout, IReadOnlyList<CaseResult> results)
    {
        stdout.Write("{\"cases\":[");
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            if (i > 0) stdout.Write(',');
            stdout.Write("{\"name\":");
            JsonText.WriteString(stdout, r.Name);
            stdout.Write(",\"logits\":");
            JsonText.WriteFloats(stdout, r.Logits, r.LogitsShape);
            stdout.Write(",\"greedy_new_ids\":");
            JsonText.WriteInts(stdout, r.GreedyNewIds);
            stdout.Write('}');
        }
        stdout.WriteLine("]}");
        stdout.Flush();
    }
}
