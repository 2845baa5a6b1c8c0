using System.Globalization;
using TorchSharp;

namespace ModuleService.Cli;

/// <summary>The options one verb accepts: <c>--name VALUE</c> (or <c>--name=VALUE</c>) and value-less switches.</summary>
internal sealed record CommandSpec(string Verb, string Usage, IReadOnlyList<string> ValueOptions, IReadOnlyList<string>? Flags = null);

/// <summary>Wrong command-line usage: reported with a hint to <c>--help</c>, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failure that is not about the command line (bad input file, inconsistent data): exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>
/// Parsed options of one verb. Hand-written on purpose: four verbs with a handful of options each do not justify a
/// parser package, and exact control over errors (exit 2, message on stderr) is what callers script against.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);

    public bool HelpRequested { get; private set; }

    public static CommandLine Parse(CommandSpec spec, IReadOnlyList<string> args)
    {
        var line = new CommandLine();
        var flagNames = spec.Flags ?? [];
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h") { line.HelpRequested = true; continue; }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}' (every argument is an --option)");
            int equals = arg.IndexOf('=');
            var name = equals < 0 ? arg : arg[..equals];
            string? inline = equals < 0 ? null : arg[(equals + 1)..];
            if (spec.ValueOptions.Contains(name))
            {
                // A value option always takes the next argument, so values such as "-5" or "--x" as a prompt work.
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"option {name} needs a value"));
                if (!line.values.TryAdd(name, value)) throw new UsageException($"option {name} given more than once");
            }
            else if (flagNames.Contains(name))
            {
                if (inline is not null) throw new UsageException($"option {name} takes no value");
                line.flags.Add(name);
            }
            else throw new UsageException($"unknown option '{name}'");
        }
        return line;
    }

    public bool Has(string flag) => flags.Contains(flag);

    public string? Get(string name) => values.GetValueOrDefault(name);

    public string Required(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new UsageException($"missing required option {name}");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!values.TryGetValue(name, out var text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new UsageException($"option {name}: '{text}' is not an integer");
        if (value < min || value > max)
            throw new UsageException($"option {name}: {value} is out of range [{min}, {(max == int.MaxValue ? "∞" : max.ToString(CultureInfo.InvariantCulture))}]");
        return value;
    }

    public int? OptionalInt(string name, int min = int.MinValue) => values.ContainsKey(name) ? Int(name, 0, min) : null;

    public long? OptionalLong(string name)
    {
        if (!values.TryGetValue(name, out var text)) return null;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value : throw new UsageException($"option {name}: '{text}' is not an integer");
    }

    /// <param name="valid">the accepted range in words, for the error message, with its predicate.</param>
    public double Double(string name, double fallback, (string Range, Func<double, bool> Accepts) valid)
    {
        if (!values.TryGetValue(name, out var text)) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            throw new UsageException($"option {name}: '{text}' is not a number");
        if (!valid.Accepts(value)) throw new UsageException($"option {name}: {text} is out of range {valid.Range}");
        return value;
    }

    /// <summary><c>--dtype fp32|bf16</c> (fp32 when absent).</summary>
    public torch.ScalarType DType(string name = "--dtype") => ParseDType(name, Get(name));

    private static torch.ScalarType ParseDType(string name, string? value) => value switch
    {
        null or "fp32" or "float32" => torch.ScalarType.Float32,
        "bf16" or "bfloat16" => torch.ScalarType.BFloat16,
        var other => throw new UsageException($"option {name}: '{other}' is not supported (use fp32 or bf16)"),
    };

    /// <summary><c>--dtype fp32,bf16</c>: one or more dtypes, in the order given, without repeats.</summary>
    public IReadOnlyList<torch.ScalarType> DTypes(string name = "--dtype")
    {
        if (Get(name) is not string list) return [torch.ScalarType.Float32];
        return list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(item => ParseDType(name, item)).Distinct().ToList() is { Count: > 0 } dtypes
            ? dtypes : throw new UsageException($"option {name}: no dtype given");
    }

    public static string DTypeName(torch.ScalarType dtype) => dtype == torch.ScalarType.BFloat16 ? "bf16" : "fp32";
}
