using System.Text.Json;

namespace ModuleService.Cli.Tests;

/// <summary>One in-process command run: exit code and everything written to stdout and stderr.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonDocument Json() => JsonDocument.Parse(Stdout);

    /// <summary>bench --json prints its JSON object as the last stdout line.</summary>
    public JsonDocument LastLineJson() => JsonDocument.Parse(Stdout.TrimEnd().Split('\n')[^1]);
}

internal static class CliRun
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string BenchConfig(string name) => Path.Combine(AppContext.BaseDirectory, "bench-configs", name);

    /// <summary>Runs like the console does (verb first), capturing the two streams.</summary>
    public static CliResult App(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    public static CliResult Command(Func<IReadOnlyList<string>, TextWriter, TextWriter, int> run, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
