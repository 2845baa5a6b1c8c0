using System.Text.Json;

namespace ModuleService.Cli.Experiments;

/// <summary>One domain's cleaned text, split by document (data-and-evaluation §1.4).</summary>
public sealed record DomainText(string Domain, IReadOnlyList<string> Train, IReadOnlyList<string> Validation, IReadOnlyList<string> Test);

/// <summary>
/// Reads the corpora that <c>scripts/fetch-corpora.sh</c> (<c>modsvc corpus build</c>) writes. This is the only place
/// that knows their layout, so a format change is a one-file fix: <c>ROOT/DOMAIN/{train,validation,test}.jsonl</c>,
/// one <c>{"id": …, "text": …}</c> object per line (the validation split is already capped by the builder). The
/// committed excerpts (<c>data/excerpts/DOMAIN/</c>) use the same layout.
/// </summary>
public static class CorpusFiles
{
    public const string English = "en-books";
    public const string Python = "py-code";
    public const string German = "de-man";
    public static readonly IReadOnlyList<string> Splits = ["train", "validation", "test"];

    /// <summary>$MODSVC_CORPORA, else ${XDG_CACHE_HOME:-~/.cache}/modsvc/corpora (the fetch script's default).</summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("MODSVC_CORPORA") is { Length: > 0 } root ? root
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "modsvc", "corpora");

    /// <summary>True when every split file of every named domain exists under <paramref name="root"/>.</summary>
    public static bool Has(string root, params string[] domains) =>
        domains.All(d => Splits.All(s => File.Exists(SplitPath(root, d, s))));

    public static DomainText Read(string root, string domain)
    {
        if (!Has(root, domain))
            throw new CliException($"corpus {domain} not found under {root} (expected {string.Join(", ", Splits.Select(s => SplitPath(root, domain, s)))}); run scripts/fetch-corpora.sh or pass --corpora");
        var splits = Splits.Select(s => Documents(SplitPath(root, domain, s))).ToArray();
        return new DomainText(domain, splits[0], splits[1], splits[2]);
    }

    /// <summary>Writes a domain in the same layout (used by tests and stand-in corpora).</summary>
    public static void Write(string root, DomainText text)
    {
        Directory.CreateDirectory(Path.Combine(root, text.Domain));
        foreach (var (split, documents) in Splits.Zip([text.Train, text.Validation, text.Test]))
            File.WriteAllLines(SplitPath(root, text.Domain, split), documents.Select((d, i) => JsonSerializer.Serialize(new { id = $"{text.Domain}-{i}", text = d })));
    }

    static string SplitPath(string root, string domain, string split) => Path.Combine(root, domain, split + ".jsonl");

    static List<string> Documents(string path) =>
        File.ReadLines(path).Where(line => line.Length > 0).Select(Text).Where(text => text.Length > 0).ToList();

    static string Text(string line)
    {
        using var json = JsonDocument.Parse(line);
        return json.RootElement.GetProperty("text").GetString() ?? "";
    }
}
