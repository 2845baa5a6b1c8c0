namespace ModuleService.Cli.Corpus;

/// <summary>
/// py-code: the CPython 3.11 standard library from Debian <c>libpython3.11-stdlib</c> + <c>libpython3.11-minimal</c>,
/// extracted into one folder: regular <c>.py</c> files below <c>usr/lib/python3.11</c> (symbolic links skipped),
/// one document per file in ordinal path order, id = path relative to that folder. Left out (§1.1): codec tables
/// (<c>encodings/</c>), the 750 KB docstring <c>pydoc_data/topics.py</c>, and <c>idlelib/</c>, <c>lib2to3/</c>,
/// <c>ensurepip/</c> should a package ship them. Also left out: <c>_sysconfigdata_*.py</c>, the machine-generated build
/// configuration, whose name and content differ per CPU architecture (so the output is the same on amd64 and arm64).
/// Empty files (package markers) carry no text and are skipped.
/// Documents are separated by the JSONL line, which the trainer turns into <c>&lt;|endoftext|&gt;</c>.
/// </summary>
internal static class PythonSources
{
    public static readonly IReadOnlyList<string> ExcludedFolders = ["encodings/", "idlelib/", "lib2to3/", "ensurepip/"];
    public static readonly IReadOnlyList<string> ExcludedFiles = ["pydoc_data/topics.py"];

    public static bool IsIncluded(string path) =>
        path.EndsWith(".py", StringComparison.Ordinal)
        && !ExcludedFolders.Any(folder => path.StartsWith(folder, StringComparison.Ordinal))
        && !ExcludedFiles.Contains(path)
        && !path.StartsWith("_sysconfigdata_", StringComparison.Ordinal);

    public static IEnumerable<CorpusDocument> Read(string source)
    {
        var root = SourceText.FindFolder(source, "usr/lib/python3.11", ".");
        foreach (var path in SourceText.RegularFiles(root, IsIncluded))
        {
            var text = SourceText.Read(Path.Combine(root, path));
            if (text.Trim().Length == 0) continue;
            yield return new CorpusDocument(path, text.EndsWith('\n') ? text : text + "\n");
        }
    }
}
