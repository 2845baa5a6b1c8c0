using System.Text.Json;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;

namespace ModuleService.Cli;

/// <summary>Exit codes shared by every verb.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The work failed: missing/corrupt checkpoint, bad input file, runtime error.</summary>
    public const int Failure = 1;
    /// <summary>The command line itself is wrong (unknown option, missing or malformed value).</summary>
    public const int Usage = 2;
    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// Runs a verb's body and turns exceptions into exit codes and one-line messages on stderr. Each command's public
/// <c>Run</c> goes through here, so in-process callers (tests) see exactly what the console sees.
/// </summary>
internal static class CommandRunner
{
    public static int Execute(CommandSpec spec, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Func<CommandLine, int> body)
    {
        CommandLine options;
        try { options = CommandLine.Parse(spec, args); }
        catch (UsageException e) { return UsageError(spec.Verb, e.Message, stderr); }
        if (options.HelpRequested)
        {
            stdout.Write(spec.Usage);
            return ExitCodes.Ok;
        }
        try { return body(options); }
        catch (UsageException e) { return UsageError(spec.Verb, e.Message, stderr); }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"modsvc {spec.Verb}: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is CheckpointFormatException or ModuleFormerConfigException or CliException
                                      or IOException or UnauthorizedAccessException or JsonException)
        {
            // These messages are written for users (file, tensor, offset); print them as they are.
            stderr.WriteLine($"modsvc {spec.Verb}: error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"modsvc {spec.Verb}: error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("MODSVC_DEBUG") == "1") stderr.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    public static int UsageError(string verb, string message, TextWriter stderr)
    {
        stderr.WriteLine($"modsvc {verb}: {message}");
        stderr.WriteLine($"Run 'modsvc {verb} --help' for usage.");
        return ExitCodes.Usage;
    }
}
