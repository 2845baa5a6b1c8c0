using System.IO.Compression;
using System.Text;

namespace ModuleService.Cli.Corpus;

/// <summary>Reading source files: decoding, line endings, regular files in a stable order.</summary>
internal static class SourceText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>UTF-8 when the bytes are valid UTF-8, else Latin-1 (two Gutenberg books are ISO-8859-1); a BOM is dropped.</summary>
    public static string Decode(byte[] bytes)
    {
        string text;
        try { text = StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { text = Encoding.Latin1.GetString(bytes); }
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    /// <summary>A file's text (gunzipped if it ends in .gz) with <c>\r\n</c> and lone <c>\r</c> turned into <c>\n</c>.</summary>
    public static string Read(string path)
    {
        byte[] bytes;
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        else bytes = File.ReadAllBytes(path);
        return NormalizeNewlines(Decode(bytes));
    }

    public static string NormalizeNewlines(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>The text with trailing blanks and blank lines removed and exactly one final <c>\n</c> ("" stays "").</summary>
    public static string EndWithNewline(string text)
    {
        var trimmed = text.TrimEnd();
        return trimmed.Length == 0 ? "" : trimmed + "\n";
    }

    /// <summary>
    /// Regular files below <paramref name="root"/> (symbolic links to files or folders are skipped, as
    /// <c>find -type f</c> does), as paths relative to it with <c>/</c>, in ordinal order.
    /// </summary>
    public static List<string> RegularFiles(string root, Func<string, bool> include)
    {
        if (!Directory.Exists(root)) throw new CliException($"source folder not found: {root}");
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        var files = Directory.EnumerateFiles(root, "*", options)
            .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(include)
            .ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>The first of the candidate folders below <paramref name="source"/> that exists.</summary>
    public static string FindFolder(string source, params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            var path = Path.Combine(source, candidate);
            if (Directory.Exists(path)) return path;
        }
        throw new CliException($"{source}: none of {string.Join(", ", candidates)} exists (is this the extracted package?)");
    }
}
