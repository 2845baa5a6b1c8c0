namespace ModuleService.Cli.Corpus;

/// <summary>
/// en-tech: the reStructuredText sources of the Python 3.11 documentation (Debian <c>python3.11-doc</c>,
/// <c>usr/share/doc/python3.11/html/_sources/**/*.rst.txt</c>), one document per file, light markup kept;
/// id = path without <c>.txt</c> (<c>library/functions.rst</c>).
/// </summary>
internal static class PythonDocs
{
    public static IEnumerable<CorpusDocument> Read(string source)
    {
        var root = SourceText.FindFolder(source, "usr/share/doc/python3.11/html/_sources", ".");
        foreach (var path in SourceText.RegularFiles(root, p => p.EndsWith(".rst.txt", StringComparison.Ordinal)))
        {
            var text = SourceText.EndWithNewline(SourceText.Read(Path.Combine(root, path)));
            if (text.Length > 0) yield return new CorpusDocument(path[..^".txt".Length], text);
        }
    }
}
