using ModuleService.Inference.Caching;
using ModuleService.Model.Architecture;
using Xunit;

namespace ModuleService.Inference.Tests;

public sealed class ModelCacheTests
{
    private static readonly long ModelBytes = SizeOfOne();

    [Fact]
    public void ModelBytes_AreParameterElementsTimesElementSize()
    {
        using var model = TestModels.Random();
        long expected = model.parameters().Sum(p => p.numel()) * 4;
        Assert.Equal(expected, ModelCache.SizeOf(model));
    }

    [Fact]
    public async Task ConcurrentRequestsForOneKey_BuildItOnce()
    {
        using var cache = new ModelCache(10 * ModelBytes);
        int builds = 0;
        async Task<ModuleFormerForCausalLM> Build(CancellationToken _)
        {
            Interlocked.Increment(ref builds);
            await Task.Delay(100);
            return TestModels.Random();
        }

        var leases = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => cache.GetAsync("a", Build))));

        Assert.Equal(1, builds);
        Assert.All(leases, l => Assert.Same(leases[0].Model, l.Model));
        foreach (var l in leases) l.Dispose();
    }

    [Fact]
    public async Task AFailedBuild_IsNotCached()
    {
        using var cache = new ModelCache(10 * ModelBytes);
        int attempts = 0;
        Task<ModuleFormerForCausalLM> Build(CancellationToken _) =>
            ++attempts == 1 ? Task.FromException<ModuleFormerForCausalLM>(new IOException("blob store down")) : Task.FromResult(TestModels.Random());

        await Assert.ThrowsAsync<IOException>(() => cache.GetAsync("a", Build));
        using var lease = await cache.GetAsync("a", Build);

        Assert.Equal(2, attempts);
        Assert.Equal(["a"], cache.LoadedKeys);
    }

    [Fact]
    public async Task OverBudget_EvictsTheLeastRecentlyUsed()
    {
        using var cache = new ModelCache(2 * ModelBytes + ModelBytes / 2);
        (await cache.GetAsync("a", Build)).Dispose();
        (await cache.GetAsync("b", Build)).Dispose();
        (await cache.GetAsync("a", Build)).Dispose();             // a is now more recent than b
        (await cache.GetAsync("c", Build)).Dispose();

        Assert.Equal(["c", "a"], cache.LoadedKeys);
        Assert.Equal(2 * ModelBytes, cache.UsedBytes);
    }

    [Fact]
    public async Task AnEvictedModel_IsDisposedOnlyWhenItsLastLeaseIsReleased()
    {
        using var cache = new ModelCache(ModelBytes);
        var held = await cache.GetAsync("a", Build);
        var weight = held.Model.LmHead.weight!;

        (await cache.GetAsync("b", Build)).Dispose();

        Assert.True(held.Evicted.IsCancellationRequested);
        Assert.Equal(["b"], cache.LoadedKeys);
        Assert.False(weight.IsInvalid);
        held.Dispose();
        Assert.True(weight.IsInvalid);
    }

    [Fact]
    public async Task ACallerGivingUp_DoesNotCancelTheSharedBuild()
    {
        using var cache = new ModelCache(10 * ModelBytes);
        var release = new TaskCompletionSource();
        async Task<ModuleFormerForCausalLM> Build(CancellationToken _)
        {
            await release.Task;
            return TestModels.Random();
        }
        using var impatient = new CancellationTokenSource();
        var first = cache.GetAsync("a", Build, impatient.Token);
        var second = cache.GetAsync("a", Build);

        impatient.Cancel();
        release.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        using var lease = await second;
        Assert.False(lease.Model.LmHead.weight!.IsInvalid);
    }

    private static Task<ModuleFormerForCausalLM> Build(CancellationToken _) => Task.FromResult(TestModels.Random());

    private static long SizeOfOne()
    {
        using var model = TestModels.Random();
        return ModelCache.SizeOf(model);
    }
}
