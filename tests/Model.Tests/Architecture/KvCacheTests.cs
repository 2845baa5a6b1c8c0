using ModuleService.Model.Architecture;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Architecture;

/// <summary>The cache's buffers grow in place; what it returns must equal plain concatenation.</summary>
public sealed class KvCacheTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]                                             // identity K/V: one tensor for both
    public void AppendsEqualConcatenationAcrossGrowthAndRowSelection(bool shared)
    {
        using var scope = NewDisposeScope();
        using var cache = new LayerKvCache();
        var generator = new Generator(3);
        var allKeys = new List<Tensor>();
        var allValues = new List<Tensor>();
        foreach (var columns in new[] { 5, 1, 1, 3, 1, 12, 1 })          // the prompt, decode steps, a second prompt
        {
            var keys = randn([3, columns, 4], generator: generator);
            var values = shared ? keys : randn([3, columns, 4], generator: generator);
            allKeys.Add(keys);
            allValues.Add(values);
            var (k, v) = cache.Append(keys, values);
            Assert.Equal(cat(allKeys, 1).data<float>().ToArray(), k.contiguous().data<float>().ToArray());
            Assert.Equal(cat(allValues, 1).data<float>().ToArray(), v.contiguous().data<float>().ToArray());
            Assert.Equal(shared, ReferenceEquals(k, v));
        }

        var rows = tensor(new long[] { 2, 0 });
        cache.SelectRows(rows);
        var extra = randn([2, 2, 4], generator: generator);
        var (selected, _) = cache.Append(extra, shared ? extra : randn([2, 2, 4], generator: generator));
        var expected = cat([cat(allKeys, 1).index_select(0, rows), extra], 1);
        Assert.Equal(expected.data<float>().ToArray(), selected.contiguous().data<float>().ToArray());
        Assert.Equal(cat(allKeys, 1).shape[1] + 2, cache.Length);
    }
}
