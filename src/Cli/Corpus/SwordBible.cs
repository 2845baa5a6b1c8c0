using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ModuleService.Cli.Corpus;

/// <summary>
/// es-bible / en-bible: a SWORD zText module (Debian <c>sword-text-sparv</c>, <c>sword-text-web</c>). Per testament,
/// <c>*.bzs</c> holds 12-byte little-endian records (offset, compressed size, uncompressed size) into <c>*.bzz</c>,
/// whose blocks are zlib streams; the inflated blocks, in order, are the OSIS text. One document per book (split at
/// the <c>&lt;div type="book" osisID=…&gt;</c> markers, text before the first book is front matter and dropped),
/// id = the OSIS book id (<c>Gen</c>, <c>Matt</c>). Cleaning (§1.3): notes removed; titles, divisions, chapters,
/// paragraphs and poetry lines become line breaks (chapters too, as the Reina-Valera has no paragraph marks); other
/// tags are stripped; entities decoded; blanks collapsed.
/// </summary>
internal static partial class SwordBible
{
    public static IEnumerable<CorpusDocument> Read(string source)
    {
        var modules = SourceText.FindFolder(source, "usr/share/sword/modules/texts/ztext", ".");
        var module = Directory.GetDirectories(modules).Order(StringComparer.Ordinal).FirstOrDefault(d => File.Exists(Path.Combine(d, "ot.bzs")) || File.Exists(Path.Combine(d, "nt.bzs")))
                     ?? throw new CliException($"{modules}: no zText module (ot.bzs / nt.bzs)");
        var osis = new StringBuilder();
        foreach (var testament in new[] { "ot", "nt" })
            if (File.Exists(Path.Combine(module, testament + ".bzs"))) osis.Append(Inflate(module, testament));
        return Books(osis.ToString());
    }

    public static string Inflate(string module, string testament)
    {
        var index = File.ReadAllBytes(Path.Combine(module, testament + ".bzs"));
        var blocks = File.ReadAllBytes(Path.Combine(module, testament + ".bzz"));
        var text = new StringBuilder();
        for (int at = 0; at + 12 <= index.Length; at += 12)
        {
            uint offset = BitConverter.ToUInt32(index, at), size = BitConverter.ToUInt32(index, at + 4);
            if (size == 0) continue;
            if ((long)offset + size > blocks.Length) throw new CliException($"{module}/{testament}.bzs: block {at / 12} points past the end of {testament}.bzz");
            using var zlib = new ZLibStream(new MemoryStream(blocks, (int)offset, (int)size), CompressionMode.Decompress);
            using var reader = new StreamReader(zlib, Encoding.UTF8);
            text.Append(reader.ReadToEnd());
        }
        return text.ToString();
    }

    public static IEnumerable<CorpusDocument> Books(string osis)
    {
        var starts = BookStart().Matches(osis).Where(m => m.Groups["id"].Success).ToList();
        for (int k = 0; k < starts.Count; k++)
        {
            int end = k + 1 < starts.Count ? starts[k + 1].Index : osis.Length;
            var text = Clean(osis[starts[k].Index..end]);
            if (text.Length > 0) yield return new CorpusDocument(starts[k].Groups["id"].Value, text);
        }
    }

    public static string Clean(string osis)
    {
        // A note sits where the space between two words would be ("God<note>…</note><w>created</w>").
        var text = Note().Replace(osis, m => m.Index + m.Length < osis.Length && (osis[m.Index + m.Length] == '<' || char.IsLetterOrDigit(osis[m.Index + m.Length])) ? " " : "");
        text = LineTag().Replace(text, "\n");
        text = Tag().Replace(text, "");
        text = WebUtility.HtmlDecode(text);
        var lines = text.Split('\n').Select(line => Blanks().Replace(line, " ").Trim()).Where(line => line.Length > 0);
        return SourceText.EndWithNewline(string.Join('\n', lines));
    }

    [GeneratedRegex("""<div\b(?=[^>]*\btype="book")(?=[^>]*\bsID=)(?=[^>]*\bosisID="(?<id>[^"]+)")[^>]*>""")]
    private static partial Regex BookStart();

    [GeneratedRegex(@"<note\b[^>]*/>|<note\b.*?</note>", RegexOptions.Singleline)]
    private static partial Regex Note();

    [GeneratedRegex(@"</?(?:title|div|chapter|p|l|lg|lb)\b[^>]*>")]
    private static partial Regex LineTag();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"[ \t\u00A0]+")]
    private static partial Regex Blanks();
}
