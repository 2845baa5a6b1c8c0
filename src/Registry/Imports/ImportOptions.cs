namespace ModuleService.Registry.Imports;

/// <summary>Section "Imports": where server-side checkpoint folders may be imported from.</summary>
public sealed class ImportOptions
{
    public const string SectionName = "Imports";

    /// <summary>Server folders that imports may read from; empty allows any absolute path (imports are admin-only).</summary>
    public string[] AllowedRoots { get; set; } = [];

    /// <summary>
    /// Why <paramref name="path"/> may not be imported from, or null. Symbolic links are resolved first — in the
    /// folder's own path and in the files it holds — so a link inside a root cannot lead outside it; <c>..</c>
    /// segments are resolved as the importer resolves them (<see cref="Path.GetFullPath(string)"/>).
    /// </summary>
    public string? PathProblem(string path)
    {
        if (!Path.IsPathFullyQualified(path)) return "must be an absolute server path";
        if (AllowedRoots.Length == 0) return null;
        var roots = AllowedRoots.Select(RealPath).ToList();
        bool Allowed(string real) => roots.Any(root => real == root || real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal));

        var folder = RealPath(path);
        if (!Allowed(folder)) return "is outside the configured import roots (symbolic links resolved)";
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).FirstOrDefault(entry => !Allowed(RealPath(entry))) is { } escaping)
            return $"holds '{Path.GetFileName(escaping)}', a symbolic link that leads outside the configured import roots";
        return null;
    }

    /// <summary>The path with every symbolic link along it resolved (what <c>realpath</c> gives; missing parts are kept).</summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var links = 0;
        foreach (var segment in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, segment);
            if (new FileInfo(current).LinkTarget is not { } target) continue;
            // A relative target is relative to the link's folder; the target may itself lie under other links.
            if (++links > 40) throw new IOException($"too many levels of symbolic links in '{path}'");
            current = RealPath(Path.Combine(Path.GetDirectoryName(current)!, target));
        }
        return current;
    }
}
