using System.Globalization;
using static TorchSharp.torch;

namespace ModuleService.Cli.Experiments;

/// <summary><c>modsvc experiments</c>: the small-scale reproduction protocol and the default model (issue #6).</summary>
public static class ExperimentsCommand
{
    public const string Name = "experiments";

    public const string Usage = """
        Usage: modsvc experiments run [--scale X | --ci] [--corpora DIR] [--out DIR] [--sequential]
                                      [--threads N] [--default-model DIR]
               modsvc experiments default-model [--tokens N] [--validation-tokens N] [--corpora DIR] [--out DIR]
                                                [--threads N]

        run            phases P, P', E and S of data-and-evaluation.md §4 (efficiency, extendability,
                       specialisation) and writes a markdown report, PNG plots and results.json
        default-model  pretrains only the SMoE on en-books + py-code and saves it with a model card

          --corpora DIR        cleaned corpora (default $MODSVC_CORPORA or ~/.cache/modsvc/corpora)
          --out DIR            results folder (default docs/results) or model folder (default models/default)
          --scale X            multiply every training budget by X (a reduced run on a busy machine)
          --ci                 the CI budget: XS model, ≈ 50 k tokens per phase (mechanics, not claims)
          --sequential         one training queue instead of two in parallel
          --threads N          torch threads per queue (default 1)
          --default-model DIR  also save the P' SMoE there as the default model
          --tokens N           default-model: training tokens (default 3,500,000)
          --validation-tokens N  default-model: validation tokens per domain for the card (default 131,072)

        """;

    static readonly CommandSpec Spec = new(Name, Usage,
        ["--corpora", "--out", "--scale", "--threads", "--default-model", "--tokens", "--validation-tokens"], ["--ci", "--sequential"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0 || args[0] is not ("run" or "default-model"))
            return args.Count > 0 && args[0] is "--help" or "-h" ? Help(stdout) : CommandRunner.UsageError(Name, "name a subcommand: run or default-model", stderr);
        string sub = args[0];
        return CommandRunner.Execute(Spec, args.Skip(1).ToList(), stdout, stderr, options =>
        {
            set_num_threads(options.Int("--threads", 1, min: 1));
            var root = options.Get("--corpora") ?? CorpusFiles.DefaultRoot;
            var log = new ProtocolLog(stderr);
            return sub == "run" ? RunProtocol(options, root, log, args) : TrainDefault(options, root, log, args);
        });
    }

    static int Help(TextWriter stdout)
    {
        stdout.Write(Usage);
        return ExitCodes.Ok;
    }

    static int RunProtocol(CommandLine options, string root, ProtocolLog log, IReadOnlyList<string> args)
    {
        double scale = options.Double("--scale", 1, ("(0, 10]", x => x > 0 && x <= 10));
        var budget = options.Has("--ci") ? ProtocolBudget.Ci : scale == 1 ? ProtocolBudget.Full : ProtocolBudget.Scaled(scale);
        var output = options.Get("--out") ?? "docs/results";
        var defaultModel = options.Get("--default-model");
        var data = ProtocolData.Load(root, budget);
        log.Line($"data: en {data.English.Train.Length:N0} / py {data.Python.Train.Length:N0} / de {data.German.Train.Length:N0} training tokens");
        var results = ProtocolRunner.Run(data, budget, !options.Has("--sequential"), log, defaultModel is null ? null
            : (model, run) => DefaultModel.Save(model, run, defaultModel, $"{ResultsReport.Command} {string.Join(' ', args.Skip(1))}"));
        ResultsReport.Write(results, output);
        log.Line($"report written to {Path.Combine(output, "README.md")}");
        return ExitCodes.Ok;
    }

    static int TrainDefault(CommandLine options, string root, ProtocolLog log, IReadOnlyList<string> args)
    {
        long tokens = options.OptionalLong("--tokens") ?? 3_500_000;
        var output = options.Get("--out") ?? DefaultModel.Folder;
        // No curve, end-point numbers only (on --validation-tokens per domain): the card needs those, not a learning curve.
        var budget = ProtocolBudget.Full with { PretrainEvalEvery = tokens, ValidationTokens = options.OptionalLong("--validation-tokens") ?? ProtocolBudget.Full.ValidationTokens };
        var data = ProtocolData.Load(root, budget);
        var (run, model) = PretrainPhase.Run("default", budget.Models.Sparse, tokens, data, budget, log);
        using (model) DefaultModel.Save(model, run, output, "dotnet run --project src/Cli -c Release -- experiments " + string.Join(' ', args));
        log.Line(string.Create(CultureInfo.InvariantCulture, $"default model written to {output}"));
        return ExitCodes.Ok;
    }
}
