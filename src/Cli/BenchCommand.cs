using ModuleService.Model;
using TorchSharp;

namespace ModuleService.Cli;

/// <summary><c>modsvc bench</c>: CPU throughput of a config with random weights (no checkpoint needed).</summary>
public static class BenchCommand
{
    public const string Name = "bench";

    public const string Usage = """
        Usage: modsvc bench --config CONFIG.json [--dtype fp32|bf16] [--json] [--threads N] [--dense-baselines]
                            [--runs N] [--layers N] [--seed S]

        Builds the config with random weights (InitializeWeights(seed)) and measures, in inference mode:
          prefill   one forward over 8×256 random tokens, no cache              → forward_tokens_per_s
          decode    greedy, 128 new tokens after a 16-token prompt, KV cache,
                    at batch 1 and batch 8 (no EOS stop)                         → decode_b1/b8_tokens_per_s
                    (new tokens / wall time of the whole call, prompt pass included)
        Each measurement: one warm-up run, then the median of --runs runs. Prints a markdown table on stdout;
        progress goes to stderr.

          --config FILE        a config.json (e.g. src/Cli/bench-configs/molm-350m-4b.json or tiny.json)
          --dtype fp32|bf16    weight dtype (default fp32)
          --json               also print one JSON object as the last stdout line
          --threads N          torch threads (default 2)
          --dense-baselines    also run two dense variants built from the same config:
                                 dense-equal-active: attention E=1, k=1 with att_hidden×k_att, n_head×k_att;
                                                     MLP E=1, k=1 with ffd_hidden×k_mlp
                                 dense-equal-total:  attention E=1, k=1 with att_hidden×n_att_experts,
                                                     n_head×n_att_experts; MLP E=1, k=1 with ffd_hidden×n_mlp_experts
                               (head size unchanged; the single expert's router always gives it weight 1)
          --runs N             timed runs per measurement (default 5)
          --layers N           override n_layer (MoLM-350M-4B in fp32 with all 24 layers needs ~16.5 GB)
          --seed S             weight and input seed (default 1234)

        peak_rss_mib is VmHWM from /proc/self/status, reset before each variant when the kernel allows it.

        """;

    private static readonly CommandSpec Spec = new(Name, Usage,
        ["--config", "--dtype", "--threads", "--runs", "--layers", "--seed"], ["--json", "--dense-baselines"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var configPath = options.Required("--config");
            var dtype = options.DType();
            int threads = options.Int("--threads", 2, min: 1);
            int runs = options.Int("--runs", 5, min: 1);
            int? layers = options.OptionalInt("--layers", min: 1);
            long seed = options.OptionalLong("--seed") ?? 1234;

            var config = ModuleFormerConfig.Load(configPath);
            int configLayers = config.Layers;
            if (layers is int n) config = config with { Layers = n };
            torch.set_num_threads(threads);

            var settings = new BenchSettings(Path.GetFileNameWithoutExtension(configPath), configPath, CommandLine.DTypeName(dtype),
                threads, runs, config.Layers, configLayers, seed) { LoadAtStart = ProcessStats.LoadAverage() };
            stderr.WriteLine($"[bench] {settings.ConfigName}: {config.Layers} of {configLayers} layers, {settings.DType}, {threads} threads, {runs} runs");
            var results = new List<BenchResult>();
            foreach (var variant in BenchVariants.For(config, options.Has("--dense-baselines")))
            {
                results.Add(BenchRunner.Run(variant, dtype, runs, seed, stderr));
                // Free the previous variant's native memory before building the next one.
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            settings = settings with { LoadAtEnd = ProcessStats.LoadAverage() };
            BenchReport.WriteMarkdown(stdout, settings, results);
            if (options.Has("--json")) BenchReport.WriteJson(stdout, settings, results);
            stdout.Flush();
            return ExitCodes.Ok;
        });
}
