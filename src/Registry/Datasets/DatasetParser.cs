using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Datasets;

/// <summary>
/// Splits dataset content into lines (<c>\n</c>, an optional <c>\r</c> before it is dropped) and lines into
/// documents, validating as bytes arrive so an upload never has to be held whole. Each line must be UTF-8 on its own,
/// which is exact because <c>\n</c> never occurs inside a multi-byte sequence; a UTF-8 byte-order mark at the very
/// start is skipped.
/// <list type="bullet">
/// <item><see cref="DatasetFormat.Text"/>: documents are runs of non-blank lines separated by one or more blank
/// (empty or whitespace-only) lines, so a file without blank lines is one document.</item>
/// <item><see cref="DatasetFormat.Jsonl"/>: each non-blank line is one document, a JSON object whose string
/// property <c>text</c> is the document; other properties are ignored, blank lines skipped.</item>
/// </list>
/// Errors are <see cref="InvalidModuleOperationException"/>s whose target is <c>line N</c> (1-based).
/// </summary>
sealed class DatasetParser(DatasetFormat format, int maxDocumentBytes, bool collect)
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    readonly ArrayBufferWriter<byte> line = new(256);
    readonly ArrayBufferWriter<byte> document = new(collect ? 1024 : 1);
    List<string> completed = [];
    long lineNumber = 1, documentStartLine, documentBytes;
    bool inDocument;

    public long Documents { get; private set; }

    /// <summary>Documents finished since the last call (only when collecting).</summary>
    public List<string> TakeCompleted()
    {
        var taken = completed;
        completed = [];
        return taken;
    }

    public void Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            Append(newline < 0 ? data : data[..newline]);
            if (newline < 0) return;
            EndLine();
            data = data[(newline + 1)..];
        }
    }

    /// <summary>Ends the content: a last line without <c>\n</c> counts, and so does an open document.</summary>
    public void Finish()
    {
        if (line.WrittenCount > 0) EndLine();
        EndDocument();
    }

    void Append(ReadOnlySpan<byte> bytes)
    {
        if (line.WrittenCount + (long)bytes.Length > maxDocumentBytes)
            throw Bad($"is longer than the largest document allowed ({maxDocumentBytes} bytes, Datasets:MaxDocumentBytes)");
        line.Write(bytes);
    }

    void EndLine()
    {
        var bytes = line.WrittenSpan;
        if (lineNumber == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (!Utf8.IsValid(bytes)) throw Bad($"is not valid UTF-8 (byte {InvalidOffset(bytes) + 1} of the line)");
        if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
        var blank = bytes.Trim(" \t\r\f\v"u8).IsEmpty;
        if (format == DatasetFormat.Text)
        {
            if (blank) EndDocument();
            else AddTextLine(bytes);
        }
        else if (!blank)
        {
            var text = ParseJsonLine(bytes);
            Documents++;
            if (collect) completed.Add(text);
        }
        line.ResetWrittenCount();
        lineNumber++;
    }

    void AddTextLine(ReadOnlySpan<byte> bytes)
    {
        if (!inDocument) (inDocument, documentStartLine, documentBytes) = (true, lineNumber, 0);
        documentBytes += bytes.Length + 1;
        if (documentBytes > maxDocumentBytes)
            throw new InvalidModuleOperationException($"line {documentStartLine}",
                $"the document starting here is longer than the largest allowed ({maxDocumentBytes} bytes, Datasets:MaxDocumentBytes)");
        if (!collect) return;
        if (document.WrittenCount > 0) document.Write("\n"u8);
        document.Write(bytes);
    }

    void EndDocument()
    {
        if (!inDocument) return;
        inDocument = false;
        Documents++;
        if (!collect) return;
        completed.Add(StrictUtf8.GetString(document.WrittenSpan));
        document.ResetWrittenCount();
    }

    string ParseJsonLine(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes);
        string? text = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Bad("is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isText = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (!isText) { reader.Skip(); continue; }
                if (text is not null) throw Bad("has more than one \"text\" property");
                if (reader.TokenType != JsonTokenType.String) throw Bad($"\"text\" must be a string, not {reader.TokenType}");
                text = reader.GetString()!;
            }
            // Anything after the object (a second value, a stray comma) makes the reader throw.
            if (reader.Read()) throw Bad("has more than one JSON value");
        }
        catch (JsonException e)
        {
            throw Bad($"is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw Bad($"\"text\" is not a valid string: {e.Message}");
        }
        return text ?? throw Bad("has no \"text\" property");
    }

    static int InvalidOffset(ReadOnlySpan<byte> bytes)
    {
        var chars = ArrayPool<char>.Shared.Rent(bytes.Length);
        try
        {
            Utf8.ToUtf16(bytes, chars, out var read, out _, replaceInvalidSequences: false);
            return read;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    InvalidModuleOperationException Bad(string problem) => new($"line {lineNumber}", problem);
}
