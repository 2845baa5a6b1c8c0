using ModuleService.Registry.Datasets;
using Xunit;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>The train/validation split: a pure function of (document index, fraction, seed).</summary>
public sealed class DatasetSplitTests
{
    [Fact]
    public void Split_IsDeterministicAndPinned()
    {
        var first = Sides(1000, 0.2, seed: 7);

        Assert.Equal(first, Sides(1000, 0.2, seed: 7));
        Assert.NotEqual(first, Sides(1000, 0.2, seed: 8));
        // Pinned to the documented rule, computed independently (a few lines of Python): a change here would
        // silently reshuffle the validation set of every run that recorded its seed.
        Assert.Equal("TVVVTTTVVTVTVTTVVTVV", Letters(Sides(20, 0.5, seed: 7)));
        Assert.Equal("TTTTTTTTTTTTVTTVVTVV", Letters(Sides(20, 0.2, seed: 7)));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void ValidationShare_IsCloseToTheFraction(double fraction)
    {
        const int documents = 100_000;
        var share = Sides(documents, fraction, seed: 42).Count(s => s == DatasetSplit.Validation) / (double)documents;

        // Five binomial standard deviations.
        Assert.InRange(share, fraction - 5 * Math.Sqrt(fraction * (1 - fraction) / documents), fraction + 5 * Math.Sqrt(fraction * (1 - fraction) / documents));
    }

    [Fact]
    public void ConsecutiveDocuments_DoNotClump()
    {
        // Every block of 1,000 consecutive documents gets roughly its share, unlike a split by position.
        var sides = Sides(20_000, 0.1, seed: 3);
        foreach (var block in sides.Chunk(1000))
            Assert.InRange(block.Count(s => s == DatasetSplit.Validation), 60, 140);
    }

    [Fact]
    public void RaisingTheFraction_OnlyMovesDocumentsToValidation()
    {
        var small = Sides(10_000, 0.1, seed: 5);
        var large = Sides(10_000, 0.3, seed: 5);

        Assert.All(small.Zip(large), pair => Assert.True(pair.First == DatasetSplit.Train || pair.Second == DatasetSplit.Validation));
    }

    [Fact]
    public void EdgeFractions_AreAllTrainOrAllValidation()
    {
        Assert.All(Sides(1000, 0, seed: 1), s => Assert.Equal(DatasetSplit.Train, s));
        Assert.All(Sides(1000, 1, seed: 1), s => Assert.Equal(DatasetSplit.Validation, s));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void FractionsOutsideZeroToOne_AreRefused(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetStore.Split(0, fraction, 0));

    static string Letters(IEnumerable<DatasetSplit> sides) => string.Concat(sides.Select(s => s == DatasetSplit.Validation ? 'V' : 'T'));

    static DatasetSplit[] Sides(int documents, double fraction, long seed) =>
        [.. Enumerable.Range(0, documents).Select(i => DatasetStore.Split(i, fraction, seed))];
}
