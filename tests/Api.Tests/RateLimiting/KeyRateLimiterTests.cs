using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModuleService.Api.RateLimiting;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.RateLimiting;

/// <summary>The in-memory limiter on a manual clock: budgets, refill, limit changes, concurrency and memory.</summary>
public sealed class KeyRateLimiterTests
{
    readonly ManualClock clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    readonly KeyRateLimiter limiter;

    public KeyRateLimiterTests() => limiter = new KeyRateLimiter(clock);

    [Fact]
    public void ABudget_RefillsContinuously_AndIsExactlyFullAfterAMinute()
    {
        var key = Guid.NewGuid();
        var limits = new EffectiveRateLimits(3, 0);
        for (int i = 0; i < 3; i++) Assert.Null(limiter.TryAcquire(key, limits, 10).Refusal);

        var refused = limiter.TryAcquire(key, limits, 10);
        Assert.Equal((RateLimitKind.RequestsPerMinute, 3, 0), (refused.Refusal!.Limit, refused.Refusal.LimitValue, refused.Refusal.Remaining));
        Assert.Equal(TimeSpan.FromSeconds(20), refused.Refusal.RetryAfter);
        Assert.Equal(new BucketStatus(3, 0, TimeSpan.FromMinutes(1)), refused.Requests);
        Assert.Equal(BucketStatus.Unlimited, refused.Tokens);

        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(limiter.TryAcquire(key, limits, 10).Refusal);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new BucketStatus(3, 3, TimeSpan.Zero), limiter.Peek(key, limits).Requests);
    }

    [Fact]
    public void ARequest_IsChargedToBothBudgetsOrToNeither()
    {
        var key = Guid.NewGuid();
        var limits = new EffectiveRateLimits(10, 100);
        Assert.Null(limiter.TryAcquire(key, limits, 80).Refusal);

        var refused = limiter.TryAcquire(key, limits, 30);

        Assert.Equal((RateLimitKind.TokensPerMinute, 30, 20), (refused.Refusal!.Limit, refused.Refusal.Requested, refused.Refusal.Remaining));
        Assert.Equal(TimeSpan.FromSeconds(6), refused.Refusal.RetryAfter);   // 10 tokens at 100 per minute
        Assert.Equal(9, refused.Requests.Remaining);                         // the refused request cost no request
        Assert.Null(limiter.TryAcquire(key, limits, 20).Refusal);
        var tooLarge = limiter.TryAcquire(key, limits, 101).Refusal!;
        Assert.Equal((RateLimitKind.TokensPerMinute, null), (tooLarge.Limit, tooLarge.RetryAfter));
    }

    [Fact]
    public void Release_GivesTheChargeBack()
    {
        var key = Guid.NewGuid();
        var limits = new EffectiveRateLimits(1, 50);
        Assert.Null(limiter.TryAcquire(key, limits, 50).Refusal);

        var released = limiter.Release(key, limits, 50);

        Assert.Equal((1, 50), (released.Requests.Remaining, released.Tokens.Remaining));
        Assert.Null(limiter.TryAcquire(key, limits, 50).Refusal);
    }

    [Fact]
    public void AChangedLimit_AppliesAtOnce_AndWhatWasUsedStaysUsed()
    {
        var key = Guid.NewGuid();
        Assert.Null(limiter.TryAcquire(key, new EffectiveRateLimits(1, 0), 1).Refusal);
        Assert.NotNull(limiter.TryAcquire(key, new EffectiveRateLimits(1, 0), 1).Refusal);

        Assert.Equal(4, limiter.Peek(key, new EffectiveRateLimits(5, 0)).Requests.Remaining);
        Assert.Equal(2, limiter.Peek(key, new EffectiveRateLimits(3, 0)).Requests.Remaining);
        // Unlimited, then limited again: a fresh, full budget.
        Assert.Equal(RateLimitOutcome.Unlimited, limiter.Peek(key, new EffectiveRateLimits(0, 0)));
        var tokensOnly = limiter.Peek(key, new EffectiveRateLimits(0, 7));
        Assert.Equal((BucketStatus.Unlimited, 7), (tokensOnly.Requests, tokensOnly.Tokens.Remaining));
        Assert.Equal(3, limiter.Peek(key, new EffectiveRateLimits(3, 0)).Requests.Remaining);
    }

    [Fact]
    public async Task ConcurrentRequests_NeverGetMoreThanTheLimit()
    {
        var key = Guid.NewGuid();
        var limits = new EffectiveRateLimits(50, 500);
        int admitted = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 100; i++)
                if (limiter.TryAcquire(key, limits, 3).Refusal is null) Interlocked.Increment(ref admitted);
        })));

        Assert.Equal(50, admitted);
    }

    [Fact]
    public void IdleKeys_AreForgotten_AndUnlimitedKeysKeepNoState()
    {
        var limits = new EffectiveRateLimits(10, 0);
        for (int i = 0; i < 1000; i++) limiter.TryAcquire(Guid.NewGuid(), limits, 1);
        limiter.TryAcquire(Guid.NewGuid(), new EffectiveRateLimits(0, 0), 1);
        Assert.Equal(1000, limiter.PartitionCount);

        clock.Advance(TimeSpan.FromSeconds(61));
        var active = Guid.NewGuid();
        limiter.TryAcquire(active, limits, 1);

        Assert.Equal(1, limiter.PartitionCount);
    }

    [Theory]
    [InlineData(12, "12ms")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(179_560, "2m59.56s")]
    public void ResetHeaders_UseOpenAisDurationFormat(int milliseconds, string expected) =>
        Assert.Equal(expected, RateLimitAdmission.Duration(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("RequestsPerMinute", "-1")]
    [InlineData("TokensPerMinute", "-5")]
    public void NegativeDefaults_AreRejectedAtStart(string setting, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{RateLimitOptions.SectionName}:{setting}"] = value }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddKeyRateLimits().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(setting, error.Message);
    }
}
