using System.Globalization;

namespace ModuleService.Inference.Telemetry;

/// <summary>A Prometheus-style histogram with fixed upper bounds (seconds); thread-safe.</summary>
public sealed class Histogram(params double[] bounds)
{
    private readonly double[] bounds = bounds.Order().ToArray();
    private readonly long[] counts = new long[bounds.Length + 1];      // last bucket: above every bound
    private readonly object gate = new();
    private double sum;

    public long Count { get { lock (gate) return counts.Sum(); } }
    public double Sum { get { lock (gate) return sum; } }

    public void Observe(double value)
    {
        int bucket = Array.FindIndex(bounds, b => value <= b);
        lock (gate)
        {
            counts[bucket < 0 ? bounds.Length : bucket]++;
            sum += value;
        }
    }

    /// <summary>Writes <c>_bucket</c> lines (cumulative, ending with +Inf), <c>_sum</c> and <c>_count</c>.</summary>
    public void Write(TextWriter writer, string name, string help)
    {
        long[] snapshot;
        double total;
        lock (gate) (snapshot, total) = ((long[])counts.Clone(), sum);
        writer.Write($"# HELP {name} {help}\n# TYPE {name} histogram\n");
        long cumulative = 0;
        for (int i = 0; i < bounds.Length; i++)
        {
            cumulative += snapshot[i];
            writer.Write($"{name}_bucket{{le=\"{Format(bounds[i])}\"}} {cumulative}\n");
        }
        cumulative += snapshot[^1];
        writer.Write($"{name}_bucket{{le=\"+Inf\"}} {cumulative}\n{name}_sum {Format(total)}\n{name}_count {cumulative}\n");
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
