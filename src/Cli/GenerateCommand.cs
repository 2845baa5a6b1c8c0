using System.Diagnostics;
using ModuleService.Model.Generation;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli;

/// <summary><c>modsvc generate</c>: sample a continuation of a prompt and stream it to stdout token by token.</summary>
public static class GenerateCommand
{
    public const string Name = "generate";

    public const string Usage = """
        Usage: modsvc generate --checkpoint DIR --prompt TEXT [--max-tokens N] [--temperature T] [--top-p P]
                               [--seed S] [--dtype fp32|bf16]

        Streams the generated continuation (not the prompt) to stdout as it is produced; stops at max tokens or
        the checkpoint's eos_token_id.

          --checkpoint DIR     Hugging Face style checkpoint folder
          --prompt TEXT        the prompt; for checkpoints without tokenizer files: token ids, "1 2 3" or "<1><2><3>"
                               (the output is then ids as well, "<17><4>...")
          --max-tokens N       maximum new tokens (default 64)
          --temperature T      0 = greedy; otherwise softmax temperature (default 0.8)
          --top-p P            nucleus sampling mass in (0, 1] (default 0.95)
          --seed S             sampling seed, for repeatable output (default: random)
          --dtype fp32|bf16    weight dtype (default fp32)

        Tokenizer: config.json "modsvc_tokenizer" if present; else tokenizer files (tokenizer.json, vocab.json,
        merges.txt) with vocab_size 50295 mean MoLM's; else token ids.

        """;

    private static readonly CommandSpec Spec = new(Name, Usage,
        ["--checkpoint", "--prompt", "--max-tokens", "--temperature", "--top-p", "--seed", "--dtype"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var checkpoint = options.Required("--checkpoint");
            var prompt = options.Required("--prompt");
            int maxTokens = options.Int("--max-tokens", 64, min: 0);
            double temperature = options.Double("--temperature", 0.8, ("[0, ∞)", t => t >= 0 && double.IsFinite(t)));
            double topP = options.Double("--top-p", 0.95, ("(0, 1]", p => p > 0 && p <= 1));
            long? seed = options.OptionalLong("--seed");
            var dtype = options.DType();

            var config = CheckpointModel.ReadConfig(checkpoint);
            var tokenizer = CheckpointTokenizer.For(checkpoint, config, stderr);
            var promptIds = CheckpointTokenizer.EncodePrompt(tokenizer, prompt);
            if (promptIds.Length == 0)
            {
                // The model needs at least one token to condition on; BOS is the natural empty context.
                if (config.BosTokenId is not int bos) throw new CliException("the prompt is empty and the checkpoint has no bos_token_id");
                promptIds = [bos];
            }
            stderr.WriteLine($"[generate] tokenizer {tokenizer.Name}, prompt {promptIds.Length} tokens");

            using var model = CheckpointModel.Load(checkpoint, dtype, stderr);
            var decoder = new StreamingDecoder(tokenizer, skipSpecialTokens: tokenizer is not TokenIdTokenizer);
            var clock = Stopwatch.StartNew();
            var results = TextGenerator.Generate(model, [promptIds],
                new GenerationOptions(maxTokens, EosTokenId: config.EosTokenId),
                [new SamplingOptions(temperature, TopP: topP, Seed: seed)],
                onToken: token =>
                {
                    stdout.Write(decoder.Push((int)token.TokenId));
                    stdout.Flush();
                    return true;
                },
                cancellation: cancellation);
            stdout.WriteLine(decoder.Flush());
            stdout.Flush();

            var result = results[0];
            double seconds = clock.Elapsed.TotalSeconds;
            stderr.WriteLine($"[generate] {result.Tokens.Count} tokens in {seconds:F2} s ({result.Tokens.Count / Math.Max(seconds, 1e-9):F1} tokens/s), finish: {result.FinishReason.ToString().ToLowerInvariant()}");
            return ExitCodes.Ok;
        });
}
