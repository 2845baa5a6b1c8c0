using System.Text.Json;

namespace ModuleService.Jobs;

/// <summary>Submission-time checks shared by the job types; each error names its field.</summary>
public static class JobParameters
{
    public static string RequireString(JsonElement p, string name)
    {
        if (!p.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
            throw new JobParameterException(name, "is required (a string)");
        return v.GetString()!;
    }

    public static IReadOnlyList<string> StringList(JsonElement p, string name)
    {
        if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            throw new JobParameterException(name, "must be an array of strings");
        return v.EnumerateArray().Select(x => x.GetString()!).ToList();
    }

    public static void RequireInt(JsonElement p, string name, long min, long max, bool optional = true)
    {
        if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (!optional) throw new JobParameterException(name, "is required");
            return;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n) || n < min || n > max)
            throw new JobParameterException(name, $"must be an integer in {min}..{max}");
    }

    public static void RequireNumber(JsonElement p, string name, double min, double max)
    {
        if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is var d && (d < min || d > max || double.IsNaN(d)))
            throw new JobParameterException(name, $"must be a number in [{min}, {max}]");
    }

    /// <summary>The hyperparameters of <see cref="TrainingParameters"/>.</summary>
    public static void CheckTraining(JsonElement p)
    {
        RequireInt(p, "steps", 1, 1_000_000);
        RequireInt(p, "tokens", 1, long.MaxValue);
        RequireInt(p, "batchSize", 1, 1024);
        RequireInt(p, "sequenceLength", 2, 8192);
        RequireInt(p, "seed", long.MinValue, long.MaxValue);
        RequireNumber(p, "learningRate", 1e-7, 1);
        RequireNumber(p, "auxLossWeight", 0, 100);
        RequireNumber(p, "loadConcentrationWeight", 0, 100);
    }
}
