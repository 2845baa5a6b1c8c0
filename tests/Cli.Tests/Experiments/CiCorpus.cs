using ModuleService.Cli.Experiments;

namespace ModuleService.Cli.Tests.Experiments;

/// <summary>
/// The corpora of the CI-sized protocol: the committed excerpts (<c>data/excerpts</c>) when this checkout has them,
/// otherwise small deterministic stand-ins in the same layout — three "languages" with different vocabularies,
/// enough for the mechanics (losses fall, routing differs by domain), not for claims.
/// </summary>
internal static class CiCorpus
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var excerpts = Path.Combine(dir.FullName, "data", "excerpts");
            if (CorpusFiles.Has(excerpts, CorpusFiles.English, CorpusFiles.Python, CorpusFiles.German)) return excerpts;
        }
        var root = Path.Combine(Path.GetTempPath(), "modsvc-ci-corpus-v2");
        if (!CorpusFiles.Has(root, CorpusFiles.English, CorpusFiles.Python, CorpusFiles.German))
        {
            CorpusFiles.Write(root, Domain(CorpusFiles.English, English));
            CorpusFiles.Write(root, Domain(CorpusFiles.Python, Python));
            CorpusFiles.Write(root, Domain(CorpusFiles.German, German));
        }
        return root;
    }

    static DomainText Domain(string name, Func<Random, string> document)
    {
        var random = new Random(name.Length * 7919 + name[0]);
        List<string> Documents(int count) => Enumerable.Range(0, count).Select(_ => document(random)).ToList();
        return new DomainText(name, Documents(60), Documents(8), Documents(8));
    }

    static readonly string[] EnglishWords = ["the", "old", "house", "was", "quiet", "when", "she", "came", "down", "to", "the", "garden", "and", "her", "father", "said", "that", "nothing", "would", "ever", "be", "the", "same", "again", "for", "a", "long", "time", "he", "walked", "along", "river", "with", "his", "friend"];
    static readonly string[] GermanWords = ["die", "Datei", "wird", "nach", "dem", "Verzeichnis", "kopiert", "und", "der", "Befehl", "gibt", "eine", "Meldung", "aus", "wenn", "die", "Option", "nicht", "gesetzt", "ist", "Benutzer", "können", "diese", "Einstellung", "ändern", "oder", "Gruppe"];
    static readonly string[] PythonNames = ["value", "items", "result", "path", "count", "name", "data", "key", "line", "index"];

    static string English(Random r) => string.Join(" ", Enumerable.Range(0, 40).Select(_ => Sentence(r, EnglishWords)));
    static string German(Random r) => string.Join(" ", Enumerable.Range(0, 40).Select(_ => Sentence(r, GermanWords)));

    static string Sentence(Random r, string[] words)
    {
        var sentence = string.Join(" ", Enumerable.Range(0, r.Next(5, 12)).Select(_ => words[r.Next(words.Length)]));
        return char.ToUpperInvariant(sentence[0]) + sentence[1..] + ".";
    }

    static string Python(Random r)
    {
        string N() => PythonNames[r.Next(PythonNames.Length)];
        var lines = new List<string>();
        for (int f = 0; f < 12; f++)
        {
            lines.Add($"def {N()}_{N()}({N()}, {N()}=None):");
            lines.Add($"    \"\"\"Return the {N()} of {N()}.\"\"\"");
            lines.Add($"    for {N()} in {N()}:");
            lines.Add($"        if {N()} is not None:");
            lines.Add($"            {N()} += {r.Next(10)}");
            lines.Add($"    return {N()}");
            lines.Add("");
        }
        return string.Join("\n", lines);
    }
}
