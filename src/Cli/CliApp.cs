namespace ModuleService.Cli;

/// <summary>Verb dispatch and top-level help. Each verb lives in its own <c>*Command</c> class.</summary>
public static class CliApp
{
    public const string Usage = """
        modsvc — ModuleFormer / MoLM models on the CPU

        Usage: modsvc <command> [options]

        Commands:
          score      logits and greedy continuations for a cases file, as JSON (reference parity check)
          generate   stream a sampled continuation of a prompt
          inspect    config summary, parameter counts, modules per layer
          bench      prefill and decode throughput of a config with random weights
          make-checkpoint  a random checkpoint folder of a config, written tensor by tensor (any size)
          corpus     clean and split the training corpora (build, excerpt, manifest, man)
          experiments  the small-scale reproduction of the paper's claims (report in docs/results), the default model
          soak-chart the API's memory over a soak run (scripts/soak.sh --json) as a PNG

        Run 'modsvc <command> --help' for the options of a command.
        Exit codes: 0 success, 1 failure (e.g. missing or corrupt checkpoint), 2 wrong usage.

        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        if (args.Count == 0)
        {
            stderr.Write(Usage);
            return ExitCodes.Usage;
        }
        var rest = args.Skip(1).ToList();
        switch (args[0])
        {
            case "--help" or "-h" or "help" when rest.Count == 0:
                stdout.Write(Usage);
                return ExitCodes.Ok;
            case "help":
                return Run([rest[0], "--help"], stdout, stderr, cancellation);
            case ScoreCommand.Name: return ScoreCommand.Run(rest, stdout, stderr);
            case GenerateCommand.Name: return GenerateCommand.Run(rest, stdout, stderr, cancellation);
            case InspectCommand.Name: return InspectCommand.Run(rest, stdout, stderr);
            case BenchCommand.Name: return BenchCommand.Run(rest, stdout, stderr);
            case MakeCheckpointCommand.Name: return MakeCheckpointCommand.Run(rest, stdout, stderr);
            case Corpus.CorpusCommand.Name: return Corpus.CorpusCommand.Run(rest, stdout, stderr);
            case Experiments.ExperimentsCommand.Name: return Experiments.ExperimentsCommand.Run(rest, stdout, stderr);
            case SoakChartCommand.Name: return SoakChartCommand.Run(rest, stdout, stderr);
            default:
                stderr.WriteLine($"modsvc: unknown command '{args[0]}'");
                stderr.WriteLine("Run 'modsvc --help' for the list of commands.");
                return ExitCodes.Usage;
        }
    }
}
