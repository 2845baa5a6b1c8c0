using System.Globalization;

namespace ModuleService.Cli;

/// <summary>Resident memory of this process and the machine load, from Linux's /proc (null elsewhere).</summary>
internal static class ProcessStats
{
    /// <summary>VmHWM ("high water mark" of the resident set) in MiB.</summary>
    public static double? PeakRssMib() => StatusMib("VmHWM:");

    /// <summary>VmRSS (current resident set) in MiB.</summary>
    public static double? CurrentRssMib() => StatusMib("VmRSS:");

    private static double? StatusMib(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var kb = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>
    /// Resets VmHWM to the current RSS (writing "5" to /proc/self/clear_refs, Linux ≥ 4.0), so each bench variant
    /// reports its own peak rather than the largest so far. False when the kernel or sandbox refuses.
    /// </summary>
    public static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The 1-minute load average: timings taken while it exceeds the core count are not trustworthy.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }
}
