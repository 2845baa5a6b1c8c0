using System.Text;
using System.Text.Json;

namespace ModuleService.Cli.Corpus;

/// <summary>One document of a corpus: a stable id (file path, book name) and its cleaned text.</summary>
internal sealed record CorpusDocument(string Id, string Text);

/// <summary>
/// Document files: JSON Lines, one <c>{"id": …, "text": …}</c> object per line, UTF-8 without BOM, <c>\n</c> after
/// every line — what <c>POST /v1/datasets?format=jsonl</c> accepts (it reads <c>text</c> and ignores <c>id</c>).
/// The writer escapes only what JSON requires (quote, backslash, control characters), so the bytes, and with them
/// the recorded checksums, do not depend on a serializer's escaping policy.
/// </summary>
internal static class DocumentFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Write(string path, IEnumerable<CorpusDocument> documents)
    {
        using var writer = new StreamWriter(path, append: false, Utf8, bufferSize: 1 << 16);
        foreach (var document in documents) writer.Write(Line(document));
    }

    public static string Line(CorpusDocument document)
    {
        var line = new StringBuilder(document.Text.Length + document.Id.Length + 24);
        line.Append("{\"id\":");
        AppendString(line, document.Id);
        line.Append(",\"text\":");
        AppendString(line, document.Text);
        return line.Append("}\n").ToString();
    }

    public static List<CorpusDocument> Read(string path)
    {
        var documents = new List<CorpusDocument>();
        int number = 0;
        foreach (var line in File.ReadLines(path, Utf8))
        {
            number++;
            if (line.Length == 0) continue;
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (!root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new CliException($"{path}: line {number} has no string \"text\"");
            var id = root.TryGetProperty("id", out var idElement) ? idElement.GetString() ?? "" : $"line-{number}";
            documents.Add(new CorpusDocument(id, text.GetString()!));
        }
        return documents;
    }

    private static void AppendString(StringBuilder line, string value)
    {
        line.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': line.Append("\\\""); break;
                case '\\': line.Append("\\\\"); break;
                case '\n': line.Append("\\n"); break;
                case '\r': line.Append("\\r"); break;
                case '\t': line.Append("\\t"); break;
                case '\b': line.Append("\\b"); break;
                case '\f': line.Append("\\f"); break;
                case < ' ': line.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: line.Append(c); break;
            }
        }
        line.Append('"');
    }
}
