using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ModuleService.Inference.Tests;

/// <summary>The reference fixtures (copied from Model.Tests) and tiny random models.</summary>
internal static class TestModels
{
    public const string Tiny = "reference-tiny";
    public const string MolmLike = "reference-tiny-molmlike";

    public static TheoryData<string> Fixtures => new() { Tiny, MolmLike };

    public static ModuleFormerForCausalLM Load(string fixture) =>
        ModelCheckpoint.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture));

    /// <summary>A randomly initialised model small enough to build many times (model-cache tests).</summary>
    public static ModuleFormerForCausalLM Random(int seed = 1)
    {
        var model = new ModuleFormerForCausalLM(new ModuleFormerConfig
        {
            VocabSize = 32, HiddenSize = 8, Layers = 1, Heads = 1, AttentionHidden = 8, MlpHidden = 8,
            AttentionExperts = 2, AttentionTopK = 1, MlpExperts = 2, MlpTopK = 1, GatingSize = 4,
        });
        model.InitializeWeights(seed);
        model.eval();
        return model;
    }

    /// <summary>Random prompt ids above the fixtures' special ids (0-2).</summary>
    public static long[] Prompt(Random random, int length, int vocab = 512) =>
        Enumerable.Range(0, length).Select(_ => (long)random.Next(3, vocab)).ToArray();

    public static InferenceOptions Options(int maxBatch = 8, int maxQueue = 64, long cacheBytes = 1L << 30) => new()
    {
        MaxBatchSize = maxBatch, MaxQueueLength = maxQueue, MaxPromptTokens = 256, MaxNewTokens = 512, ModelCacheBytes = cacheBytes,
    };
}
