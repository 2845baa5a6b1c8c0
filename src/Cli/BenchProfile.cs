using System.Diagnostics;
using ModuleService.Model.Architecture;
using ModuleService.Model.Diagnostics;
using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>
/// One profiled kind of call, averaged over <paramref name="Calls"/> calls after a warm-up.
/// </summary>
/// <param name="Batch">B; <paramref name="Tokens"/> new tokens per row; <paramref name="MeanContext"/> the mean C (cached + new).</param>
/// <param name="LogitRows">positions the LM head projects (every position in prefill, the last in a decode step).</param>
/// <param name="ComponentMs">mean exclusive milliseconds per <see cref="ForwardProfiler"/> path, summed over layers.</param>
internal sealed record ProfiledCall(string Mode, int Batch, int Tokens, double MeanContext, long LogitRows, int Calls,
    double TotalMs, IReadOnlyDictionary<string, double> ComponentMs);

internal sealed record BenchProfileResult(IReadOnlyList<ProfiledCall> Calls);

/// <summary>
/// <c>bench --profile</c>: times the parts of one prefill forward and one decode step (batch 1 and 8) with a
/// <see cref="ForwardProfiler"/>. The model marks its MoE and attention parts itself; embedding, LayerNorms,
/// the K/V Linears and the LM head are plain TorchSharp modules, timed by hooks attached here for the run only.
/// </summary>
internal static class BenchProfile
{
    /// <summary>Prompt of the decode profile: after the warm-up step the timed steps see 61–68 cached positions (mean 64.5).</summary>
    public const int DecodePromptTokens = 60;
    public const int DecodeSteps = 8;

    private static readonly Dictionary<string, string> HookedModules = new()
    {
        ["wte"] = "embedding", ["ln_1"] = "layer_norm", ["ln_2"] = "layer_norm", ["ln_f"] = "layer_norm",
        ["k_proj"] = "kv_projections", ["v_proj"] = "kv_projections", ["lm_head"] = "lm_head",
    };

    public static BenchProfileResult Measure(ModuleFormerForCausalLM model, Tensor prefillIds, int runs, long seed, string label, TextWriter log)
    {
        var profiler = new ForwardProfiler();
        var detach = AttachHooks(model, profiler);
        try
        {
            using var active = profiler.Activate();
            var random = new Random((int)seed + 7);
            var calls = new List<ProfiledCall>
            {
                Prefill(model, profiler, prefillIds, runs),
                Decode(model, profiler, random, 1),
                Decode(model, profiler, random, BenchRunner.DecodeBatch),
            };
            foreach (var call in calls) log.WriteLine($"[bench] {label} profile {call.Mode}: {call.TotalMs:F2} ms per call, mean of {call.Calls}");
            return new BenchProfileResult(calls);
        }
        finally
        {
            foreach (var remove in detach) remove();
        }
    }

    private static ProfiledCall Prefill(ModuleFormerForCausalLM model, ForwardProfiler profiler, Tensor ids, int runs)
    {
        int batch = (int)ids.shape[0], tokens = (int)ids.shape[1];
        double totalMs = 0;
        for (int run = 0; run <= runs; run++)
        {
            if (run == 1) { profiler.Clear(); totalMs = 0; }                    // run 0 is the warm-up
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            totalMs += Timed(() => model.forward(ids));
        }
        return Mean($"prefill {batch}×{tokens}", batch, tokens, tokens, (long)batch * tokens, runs, totalMs, profiler);
    }

    private static ProfiledCall Decode(ModuleFormerForCausalLM model, ForwardProfiler profiler, Random random, int batch)
    {
        using var cache = new KvCache(model.Config.Layers);
        using var _ = inference_mode();
        using (NewDisposeScope()) model.NextTokenLogits(BenchRunner.RandomIds(random, batch, DecodePromptTokens, model.Config.VocabSize), cache: cache);
        double totalMs = 0, context = 0;
        for (int step = 0; step <= DecodeSteps; step++)
        {
            if (step == 1) { profiler.Clear(); totalMs = 0; context = 0; }     // step 0 is the warm-up
            using var scope = NewDisposeScope();
            var next = BenchRunner.RandomIds(random, batch, 1, model.Config.VocabSize);
            context += cache.Length + 1;
            totalMs += Timed(() => model.NextTokenLogits(next, cache: cache));
        }
        return Mean($"decode b{batch}", batch, 1, context / DecodeSteps, batch, DecodeSteps, totalMs, profiler);
    }

    private static double Timed(Action call)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static ProfiledCall Mean(string mode, int batch, int tokens, double context, long logitRows, int calls, double totalMs, ForwardProfiler profiler) =>
        new(mode, batch, tokens, context, logitRows, calls, totalMs / calls,
            profiler.ExclusiveMilliseconds().ToDictionary(kv => kv.Key, kv => kv.Value / calls));

    /// <returns>the actions that remove the hooks again.</returns>
    private static List<Action> AttachHooks(ModuleFormerForCausalLM model, ForwardProfiler profiler)
    {
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
        {
            if (!HookedModules.TryGetValue(name.Split('.')[^1], out var part) || module is not nn.Module<Tensor, Tensor> leaf) continue;
            removers.Add(leaf.register_forward_pre_hook(_ => profiler.Begin(part)).remove);
            removers.Add(leaf.register_forward_hook(_ => profiler.End()).remove);
        }
        return removers;
    }
}
