using ModuleService.Model.Training;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

[Collection(TrainingTestData.Collection)]
public sealed class TokenBatcherTests
{
    static readonly int[] Counting = Enumerable.Range(0, 200).ToArray();

    [Fact]
    public void Batch_LabelsAreInputsShiftedByOne()
    {
        using var scope = NewDisposeScope();
        using var batch = new TokenBatcher(Counting, 3, 8, seed: 5).Batch(0);

        Assert.Equal([3L, 8L], batch.Inputs.shape);
        Assert.Equal([3L, 8L], batch.Labels.shape);
        Assert.True((batch.Labels - batch.Inputs).eq(1).all().item<bool>());
    }

    [Fact]
    public void Batch_DependsOnlyOnSeedAndIndex()
    {
        using var scope = NewDisposeScope();
        var batcher = new TokenBatcher(Counting, 4, 8, seed: 5);
        var again = new TokenBatcher(Counting, 4, 8, seed: 5);

        Assert.True(batcher.Batch(7).Inputs.equal(again.Batch(7).Inputs).all().item<bool>());
        Assert.False(batcher.Batch(7).Inputs.equal(batcher.Batch(8).Inputs).all().item<bool>());
        Assert.False(batcher.Batch(7).Inputs.equal(new TokenBatcher(Counting, 4, 8, seed: 6).Batch(7).Inputs).all().item<bool>());
    }

    [Fact]
    public void Batch_ReachesEveryWindowStart()
    {
        using var scope = NewDisposeScope();
        var batcher = new TokenBatcher(Enumerable.Range(0, 12).ToArray(), 2, 8, seed: 1);
        var starts = Enumerable.Range(0, 200).SelectMany(i => batcher.Batch(i).Inputs[.., 0].data<long>().ToArray()).ToHashSet();

        Assert.Equal([0L, 1L, 2L, 3L], starts.Order());
    }

    [Fact]
    public void Concatenate_PutsTheSeparatorAfterEachDocument()
    {
        Assert.Equal([5, 6, 0, 7, 0], TokenBatcher.Concatenate([[5, 6], [7]], endOfTextId: 0));
        Assert.Equal(5, TokenBatcher.FromDocuments([[5, 6], [7]], 0, batchSize: 1, sequenceLength: 2, seed: 1).TokenCount);
    }

    [Fact]
    public void Constructor_RejectsAStreamShorterThanOneWindow()
    {
        Assert.Throws<ArgumentException>(() => new TokenBatcher(new int[8], 1, 8, seed: 1));
    }

    [Theory]
    [InlineData(50, 16, 2, null, 49)]
    [InlineData(50, 16, 2, 20L, 20)]
    [InlineData(33, 16, 4, null, 32)]
    public void EvaluationWindows_PredictEveryTokenAfterTheFirstOnce(int count, int length, int batchSize, long? cap, int expected)
    {
        using var scope = NewDisposeScope();
        var tokens = Enumerable.Range(0, count).ToArray();
        var inputs = new List<long>();
        var labels = new List<long>();
        foreach (var batch in EvaluationWindows.Batches(tokens, batchSize, length, cap))
        {
            Assert.True(batch.Inputs.shape[0] <= batchSize);
            Assert.True(batch.Inputs.shape[1] <= length);
            inputs.AddRange(batch.Inputs.data<long>().ToArray());
            labels.AddRange(batch.Labels.data<long>().ToArray());
        }

        Assert.Equal(Enumerable.Range(0, expected).Select(i => (long)i), inputs);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), labels);
        Assert.Equal(expected, EvaluationWindows.PredictedTokens(count, cap));
        Assert.Equal(expected + 1, EvaluationWindows.CoveredTokens(count, cap));
    }
}
