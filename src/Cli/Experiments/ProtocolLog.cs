using System.Diagnostics;
using System.Globalization;

namespace ModuleService.Cli.Experiments;

/// <summary>Progress lines with elapsed time, safe to write from both training queues.</summary>
public sealed class ProtocolLog(TextWriter writer)
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly Lock gate = new();

    public void Line(string text)
    {
        lock (gate)
        {
            writer.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {text}");
            writer.Flush();
        }
    }
}

/// <summary>Machine facts recorded with every timing (data-and-evaluation §4.2, throughput reporting).</summary>
public static class Machine
{
    public static double? LoadAverage() => ProcessStats.LoadAverage();

    public static string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} cores, {TorchSharp.torch.get_num_threads()} torch thread(s) per process, load {LoadAverage():0.0}");
}
