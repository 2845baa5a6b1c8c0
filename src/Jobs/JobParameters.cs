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

    /// <summary>An optional string: absent, null or a string, never another type silently ignored.</summary>
    public static string? OptionalString(JsonElement p, string name)
    {
        if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new JobParameterException(name, "must be a string");
    }

    public static void RequireBool(JsonElement p, string name)
    {
        if (p.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            throw new JobParameterException(name, "must be true or false");
    }

    public static void RequireNumber(JsonElement p, string name, double min, double max)
    {
        if (!p.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is var d && (d < min || d > max || double.IsNaN(d)))
            throw new JobParameterException(name, $"must be a number in [{min}, {max}]");
    }

    /// <summary>
    /// Refuses text that .NET cannot read (a lone UTF-16 surrogate escape) or PostgreSQL's jsonb cannot store (a NUL),
    /// in names and values anywhere in the parameters, before either fails as a 500.
    /// </summary>
    public static void RequireStorableText(JsonElement element, string path = "")
    {
        static string? Problem(Func<string> read)
        {
            try { return read().Contains('\0') ? "NUL characters (\\u0000) are not accepted" : null; }
            catch (InvalidOperationException) { return "holds a lone UTF-16 surrogate escape"; }
        }
        string Field(string? name) => name is null ? path.Length == 0 ? "body" : path : path.Length == 0 ? name : $"{path}.{name}";
        switch (element.ValueKind)
        {
            case JsonValueKind.String when Problem(element.GetString!) is { } problem:
                throw new JobParameterException(Field(null), problem);
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray()) RequireStorableText(item, $"{path}[{index++}]");
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (Problem(() => property.Name) is { } problem) throw new JobParameterException(Field(null), $"a property name {problem}");
                    RequireStorableText(property.Value, Field(property.Name));
                }
                break;
        }
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
        // Read by TrainingParameters at run time: a wrong value here used to fail the job minutes later, not the request.
        RequireInt(p, "warmupSteps", 0, int.MaxValue);
        RequireInt(p, "evalEvery", 0, int.MaxValue);
        RequireInt(p, "evalTokens", 1, long.MaxValue);
        RequireInt(p, "logEvery", 1, int.MaxValue);
        RequireInt(p, "checkpointEvery", 0, int.MaxValue);
        RequireBool(p, "gradientCheckpointing");
    }
}
