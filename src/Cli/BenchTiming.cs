using System.Diagnostics;

namespace ModuleService.Cli;

/// <summary>Warm-up plus median timing, shared by every bench measurement.</summary>
internal static class BenchTiming
{
    /// <summary>A measurement whose warm-up takes longer than this gets one timed run (bf16 without hardware support).</summary>
    public static readonly TimeSpan LongRun = TimeSpan.FromSeconds(30);

    /// <summary>One untimed warm-up (first-call allocations, oneDNN kernel selection), then the median of the runs.</summary>
    /// <returns>the median wall time in milliseconds.</returns>
    public static double Median(int runs, string label, TextWriter log, Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        log.WriteLine($"[bench] {label}: warm-up {clock.Elapsed.TotalMilliseconds:F1} ms (RSS {ProcessStats.CurrentRssMib():F0} MiB)");
        if (clock.Elapsed > LongRun && runs > 1)
        {
            log.WriteLine($"[bench] {label}: one timed run only (the warm-up took over {LongRun.TotalSeconds:F0} s)");
            runs = 1;
        }
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            clock.Restart();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
            log.WriteLine($"[bench] {label}: run {i + 1}/{runs} {times[i]:F1} ms (RSS {ProcessStats.CurrentRssMib():F0} MiB)");
        }
        return Median(times);
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
