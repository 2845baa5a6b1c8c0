using System.Runtime.CompilerServices;
using System.Text.Json;

namespace ModuleService.Api.Tests.Support;

/// <summary>
/// What a reliability test did, for scripts/reliability.sh's summary: with <c>MODSVC_SUITE_REPORT_DIR</c> set, each
/// call appends one JSON line to <c>report.jsonl</c> there ({"part", "test", "inputs", "faults", "errors", "dataLost"});
/// without it, nothing. Call it before the assertions, with what the test measured, so a failing run reports too.
/// </summary>
public static class SuiteReport
{
    public const string DirectoryVariable = "MODSVC_SUITE_REPORT_DIR";
    static readonly Lock Gate = new();

    /// <param name="part">fuzz or faults (the row of the summary).</param>
    /// <param name="inputs">requests or scenarios tried.</param>
    /// <param name="faults">faults injected: processes killed, files or rows damaged, outages.</param>
    /// <param name="errors">wrong answers seen (5xx where a 4xx was due, wrong bytes, logged errors).</param>
    /// <param name="dataLost">items that were there before and were checked afterwards and found missing or changed.</param>
    public static void Record(string part, int inputs, int faults, int errors, int dataLost, [CallerMemberName] string test = "")
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is not { Length: > 0 } directory) return;
        var line = JsonSerializer.Serialize(new { part, test, inputs, faults, errors, dataLost });
        lock (Gate)
        {
            Directory.CreateDirectory(directory);
            File.AppendAllText(Path.Combine(directory, "report.jsonl"), line + "\n");
        }
    }
}
