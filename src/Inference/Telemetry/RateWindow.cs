using System.Diagnostics;

namespace ModuleService.Inference.Telemetry;

/// <summary>Events per second over the last few whole seconds (a gauge for dashboards without PromQL rate()).</summary>
internal sealed class RateWindow(int seconds = 10)
{
    private readonly long[] buckets = new long[seconds + 1];
    private readonly long[] stamps = new long[seconds + 1];        // the second each bucket currently counts
    private readonly object gate = new();

    public void Add(long n, long nowSeconds = -1)
    {
        long now = nowSeconds >= 0 ? nowSeconds : CurrentSecond();
        lock (gate)
        {
            int i = (int)(now % buckets.Length);
            if (stamps[i] != now) (stamps[i], buckets[i]) = (now, 0);
            buckets[i] += n;
        }
    }

    /// <summary>Mean rate over the <c>seconds</c> complete seconds before the current one.</summary>
    public double PerSecond(long nowSeconds = -1)
    {
        long now = nowSeconds >= 0 ? nowSeconds : CurrentSecond();
        long total = 0;
        lock (gate)
            for (int i = 0; i < buckets.Length; i++)
                if (stamps[i] < now && stamps[i] >= now - seconds) total += buckets[i];
        return (double)total / seconds;
    }

    private static long CurrentSecond() => Stopwatch.GetTimestamp() / Stopwatch.Frequency;
}
