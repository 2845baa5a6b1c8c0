using ModuleService.Cli.Corpus.Roff;

namespace ModuleService.Cli.Corpus;

/// <summary>
/// de-man / fr-man: Debian <c>manpages-de</c> / <c>manpages-fr</c>, every regular page file below
/// <c>usr/share/man/LANG/man*</c> (the symbolic-link aliases are skipped), rendered by <see cref="RoffRenderer"/>:
/// one document per page in ordinal path order, id = path without <c>.gz</c> (<c>man1/chgrp.1</c>). Pages that
/// render to nothing (a bare <c>.so</c> redirection) are skipped.
/// </summary>
internal static class ManPages
{
    public static IEnumerable<CorpusDocument> Read(string source, string language)
    {
        var root = SourceText.FindFolder(source, $"usr/share/man/{language}", ".");
        var pages = SourceText.RegularFiles(root, path => path.StartsWith("man", StringComparison.Ordinal) && path.Contains('/'));
        foreach (var page in pages)
        {
            var text = RoffRenderer.Render(SourceText.Read(Path.Combine(root, page)));
            if (text.Length == 0) continue;
            yield return new CorpusDocument(page.EndsWith(".gz", StringComparison.Ordinal) ? page[..^3] : page, text);
        }
    }
}
