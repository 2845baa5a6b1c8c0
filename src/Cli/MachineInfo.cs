namespace ModuleService.Cli;

/// <summary>The CPU a bench ran on, from /proc/cpuinfo (Linux; "unknown" elsewhere).</summary>
internal sealed record MachineInfo(string CpuModel, int Cores, bool Avx512F, bool Avx512Bf16, bool AmxBf16)
{
    public static MachineInfo Read()
    {
        string text;
        try { text = File.ReadAllText("/proc/cpuinfo"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { text = ""; }
        var lines = text.Split('\n');
        string Field(string name) => lines.Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim() == name)?[1].Trim() ?? "";
        var flags = Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var model = Field("model name");
        return new MachineInfo(model.Length > 0 ? model : "unknown", Environment.ProcessorCount,
            flags.Contains("avx512f"), flags.Contains("avx512_bf16"), flags.Contains("amx_bf16"));
    }

    public string Describe() =>
        $"{CpuModel}, {Cores} cores, avx512f {YesNo(Avx512F)}, avx512_bf16 {YesNo(Avx512Bf16)}, amx_bf16 {YesNo(AmxBf16)}";

    private static string YesNo(bool value) => value ? "yes" : "no";
}
