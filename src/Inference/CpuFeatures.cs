namespace ModuleService.Inference;

/// <summary>CPU capabilities that decide the default compute dtype.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<bool> bf16 = new(() => OperatingSystem.IsLinux() && HasFlag(ReadCpuInfo(), "avx512_bf16"));

    /// <summary>True when /proc/cpuinfo lists avx512_bf16 (oneDNN then runs bf16 matmuls natively); false on
    /// other operating systems, where we do not probe.</summary>
    public static bool SupportsBf16 => bf16.Value;

    /// <summary>True when any "flags" line of a /proc/cpuinfo text contains <paramref name="flag"/> as a word.</summary>
    internal static bool HasFlag(string cpuInfo, string flag)
    {
        foreach (var line in cpuInfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0 || line[..colon].Trim() != "flags") continue;
            if (line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(flag)) return true;
        }
        return false;
    }

    private static string ReadCpuInfo()
    {
        try { return File.ReadAllText("/proc/cpuinfo"); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
