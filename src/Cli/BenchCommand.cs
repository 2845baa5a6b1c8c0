using ModuleService.Model;
using TorchSharp;

namespace ModuleService.Cli;

/// <summary><c>modsvc bench</c>: CPU throughput of a config with random weights (no checkpoint needed).</summary>
public static class BenchCommand
{
    public const string Name = "bench";

    public const string Usage = """
        Usage: modsvc bench --config CONFIG.json [--dtype fp32|bf16|fp32,bf16] [--dense-baselines] [--limits] [--train]
                            [--profile] [--matmul-size N]
                            [--budget-seconds S] [--json] [--output FILE] [--threads N] [--runs N] [--layers N] [--seed S]

        Builds the config with random weights (InitializeWeights(seed)) and measures, per variant and dtype:
          prefill   one forward over 8×256 random tokens, no cache, inference mode     → forward_tokens_per_s
          decode    greedy, 128 new tokens after a 16-token prompt, KV cache,
                    at batch 1 and batch 8 (no EOS stop)                                → decode_b1/b8_tokens_per_s
                    (new tokens / wall time of the whole call, prompt pass included)
          train     (--train, fp32 only) one Trainer step on 8×256 tokens: forward, LM + router loss,
                    backward, gradient clipping, AdamW                                  → train_tokens_per_s
        Each measurement: one warm-up run, then the median of --runs runs (one run when the warm-up took over
        30 s). Prints markdown tables on stdout; progress goes to stderr.

          --config FILE        a config.json (src/Cli/bench-configs: tiny, small, peer, molm-350m-4b)
          --dtype LIST         weight dtypes, comma-separated (default fp32). bf16 is emulated (slower than fp32)
                               on CPUs without AVX512-BF16; the machine line of the report says which this is
          --dense-baselines    also run two dense variants built from the same config:
                                 dense-equal-active: attention E=1, k=1 with att_hidden×k_att, n_head×k_att;
                                                     MLP E=1, k=1 with ffd_hidden×k_mlp
                                 dense-equal-total:  attention E=1, k=1 with att_hidden×n_att_experts,
                                                     n_head×n_att_experts; MLP E=1, k=1 with ffd_hidden×n_mlp_experts
                               (head size unchanged; the single expert's router always gives it weight 1)
          --limits             first measure this machine's limits at --threads, and report every rate as a
                               fraction of them:
                                 matmul rate  2n³ / time of an n×n×n matmul, fp32 and bf16
                                 copy rate    (bytes read + bytes written) / time of a 256 MiB tensor copy
          --matmul-size N      n of the limit matmuls (default 2048; a 2048³ bf16 matmul takes ~10 s on
                               CPUs without AVX512-BF16)
          --train              also time a training step (fp32 variants only)
          --gradient-checkpointing
                               train with blocks recomputed in the backward (TrainerOptions.GradientCheckpointing)
          --profile            also print, per variant and dtype, where the time of one prefill 8×256 forward
                               and one decode step (batch 1 and 8, KV cache of ~64 positions) goes: embedding,
                               attention (router, dispatch, q/o expert projections, k/v projections, KV cache
                               update, stick-breaking math, combine), MLP (router, dispatch, expert matmuls,
                               activation, combine), layer norms, LM head and "other" (total minus the rest),
                               with the useful GFLOP/s of the matmul parts; the JSON gets a "profile" key
          --budget-seconds S   with --limits: skip a variant×dtype whose prefill would take longer than S
                               seconds at the measured matmul rate (useful FLOPs ÷ rate), e.g. a large dense
                               model in bf16 on a CPU that emulates bf16; the report lists what was skipped
          --json               also print the JSON document as the last stdout line
          --output FILE        write the JSON document to FILE
          --threads N          torch intra-op threads (default 2)
          --runs N             timed runs per measurement (default 5)
          --layers N           override n_layer (MoLM-350M-4B in fp32 with all 24 layers needs ~16.5 GB)
          --seed S             weight and input seed (default 1234)

        Useful work (what the model needs; padding, unused experts and elementwise work do not count):
          A = active parameters per token (k of E experts per MoE, routers, K/V projections, LayerNorms,
              ln_f, lm_head; no embedding), L = layers, k = k_att, a = att_hidden, B×T = 8×256
          prefill FLOPs   = 2·A·B·T + 4·L·k·a·B·T(T+1)/2      (causal QKᵀ and weights·V)
          train FLOPs     = 3 × prefill FLOPs                  (forward + backward)
          decode bytes    = (A + n_embd) × bytes per weight    (weights one token reads at batch 1, its
                                                                embedding row included, KV cache excluded)
          prefill % of matmul   = prefill FLOPs / time ÷ matmul rate of the same dtype
          decode b1 % of copy   = decode bytes × decode b1 tok/s ÷ copy rate
          train % of matmul     = train FLOPs / time ÷ fp32 matmul rate
        For models whose active weights fit in the CPU caches (tiny, small) the decode fraction can exceed 100 %.

        peak_rss_mib is VmHWM from /proc/self/status, reset before each variant (and before training) when the
        kernel allows it.

        """;

    private static readonly CommandSpec Spec = new(Name, Usage,
        ["--config", "--dtype", "--threads", "--runs", "--layers", "--seed", "--output", "--matmul-size", "--budget-seconds"],
        ["--json", "--dense-baselines", "--limits", "--train", "--gradient-checkpointing", "--profile"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var configPath = options.Required("--config");
            var dtypes = options.DTypes();
            int threads = options.Int("--threads", 2, min: 1);
            int runs = options.Int("--runs", 5, min: 1);
            int? layers = options.OptionalInt("--layers", min: 1);
            long seed = options.OptionalLong("--seed") ?? 1234;

            var config = ModuleFormerConfig.Load(configPath);
            int configLayers = config.Layers;
            if (layers is int n) config = config with { Layers = n };
            torch.set_num_threads(threads);

            var settings = new BenchSettings(Path.GetFileNameWithoutExtension(configPath), configPath,
                dtypes.Select(CommandLine.DTypeName).ToList(), threads, runs, config.Layers, configLayers, seed) { LoadAtStart = ProcessStats.LoadAverage(), GradientCheckpointing = options.Has("--gradient-checkpointing") };
            stderr.WriteLine($"[bench] {settings.ConfigName}: {config.Layers} of {configLayers} layers, {string.Join(", ", settings.DTypes)}, {threads} threads, {runs} runs");
            stderr.WriteLine($"[bench] machine: {settings.Machine.Describe()}");
            int matmulSize = options.Int("--matmul-size", BenchLimits.DefaultMatmulSize, min: 16);
            var limits = options.Has("--limits") ? BenchLimits.Measure(matmulSize, runs, stderr) : null;
            double? budget = options.Has("--budget-seconds") ? options.Double("--budget-seconds", 0, ("> 0", b => b > 0)) : null;
            if (budget is not null && limits is null) throw new UsageException("--budget-seconds needs --limits");
            var results = new List<BenchResult>();
            var skipped = new List<SkippedRun>();
            foreach (var variant in BenchVariants.For(config, options.Has("--dense-baselines")))
            {
                foreach (var dtype in dtypes)
                {
                    double estimate = BenchWork.ForwardFlops(variant.Config, ParameterCounts.For(variant.Config), BenchRunner.PrefillBatch, BenchRunner.PrefillTokens)
                                      / (limits?.MatmulGflops(dtype) * 1e9 ?? double.PositiveInfinity);
                    if (estimate > budget)
                    {
                        stderr.WriteLine($"[bench] {variant.Name} {CommandLine.DTypeName(dtype)}: skipped, prefill estimated at {estimate:F0} s");
                        skipped.Add(new SkippedRun(variant.Name, CommandLine.DTypeName(dtype), estimate));
                        continue;
                    }
                    results.Add(BenchRunner.Run(variant, dtype, runs, seed, options.Has("--train"), settings.GradientCheckpointing, options.Has("--profile"), stderr));
                    // Free the previous model's native memory before building the next one.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }
            if (results.Count == 0) throw new CliException("every variant was skipped (--budget-seconds)");
            settings = settings with { LoadAtEnd = ProcessStats.LoadAverage(), Skipped = skipped };
            BenchReport.WriteMarkdown(stdout, settings, limits, results);
            if (options.Has("--profile")) BenchProfileReport.WriteMarkdown(stdout, results, limits);
            var json = BenchJson.Serialize(settings, limits, results);
            if (options.Has("--json")) stdout.WriteLine(json);
            if (options.Get("--output") is string output) File.WriteAllText(output, json + "\n");
            stdout.Flush();
            return ExitCodes.Ok;
        });
}
