using ModuleService.Model.Architecture;
using ModuleService.Model.Training;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

/// <summary>A tiny model and token streams that keep every training test well under a second per step.</summary>
static class TrainingTestData
{
    /// <summary>Training tests share one xUnit collection so they run one at a time: libtorch already uses every core.</summary>
    public const string Collection = "Training";

    /// <summary>d 32, 2 layers, 4 attention experts (2 heads of 8) and 4 MLP experts of 32, both top-2, vocabulary 64.</summary>
    public static ModuleFormerConfig Tiny(string gateType = "mlp") => new()
    {
        VocabSize = 64, HiddenSize = 32, Layers = 2, Heads = 2, AttentionHidden = 16, MlpHidden = 32,
        AttentionExperts = 4, AttentionTopK = 2, MlpExperts = 4, MlpTopK = 2, GatingSize = 16, GateType = gateType,
        BlockSize = 32, HistoryLength = 0, InitializerRange = 0.02, BosTokenId = 0, EosTokenId = 0,
    };

    public static ModuleFormerForCausalLM NewModel(ModuleFormerConfig config, long seed)
    {
        var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(seed);
        return model;
    }

    public static int[] RandomTokens(int count, int vocabulary, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocabulary)).ToArray();
    }

    /// <summary>Fast settings: B 4, T 16, no warm-up surprises.</summary>
    public static TrainerOptions Options(long steps) => new()
    {
        BatchSize = 4, SequenceLength = 16, Steps = steps, WarmupSteps = 2, LearningRate = 1e-2, Seed = 11, LogEvery = 1,
    };

    /// <summary>Parameter name → contiguous CPU copy, for before/after comparisons.</summary>
    public static Dictionary<string, Tensor> Snapshot(ModuleFormerForCausalLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());

    public static bool SameBytes(Tensor a, Tensor b)
    {
        using var x = a.contiguous();
        using var y = b.contiguous();
        return a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && x.bytes.SequenceEqual(y.bytes);
    }

    public static void AssertSameBytes(Tensor expected, Tensor actual, string what) =>
        Assert.True(SameBytes(expected, actual), $"{what}: bytes differ");
}

/// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
