using System.Text.Json;
using ModuleService.Cli.Corpus;
using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Cli.Tests.Corpus;

/// <summary>JSONL output bytes and the chunked token counter.</summary>
public sealed class DocumentFileTests
{
    [Fact]
    public void LinesEscapeOnlyWhatJsonRequires()
    {
        var line = DocumentFile.Line(new CorpusDocument("man1/ls.1", "Größe \"x\" \\ \t\u001b ⟨url⟩\n"));
        Assert.Equal("{\"id\":\"man1/ls.1\",\"text\":\"Größe \\\"x\\\" \\\\ \\t\\u001b ⟨url⟩\\n\"}\n", line);
        using var json = JsonDocument.Parse(line);
        Assert.Equal("Größe \"x\" \\ \t\u001b ⟨url⟩\n", json.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void WriteThenReadRoundTrips()
    {
        var path = Path.Combine(Path.GetTempPath(), $"modsvc-docs-{Guid.NewGuid():N}.jsonl");
        try
        {
            var documents = new List<CorpusDocument> { new("a", "eins\nzwei\n"), new("b", "\u2028 and \u00e9\n") };
            DocumentFile.Write(path, documents);
            Assert.Equal(documents, DocumentFile.Read(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ChunkedCountEqualsTheWholeTextCount()
    {
        // > 64 KB with blank lines, indentation and whitespace runs around the chunk boundaries.
        var paragraph = "def f(x):\n        return x  # eight spaces\n\n\tThe brown fox,\n    jumped over 12 lazy dogs.\n";
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"{paragraph}line {i}\n"));
        Assert.True(text.Length > 2 * TokenCounter.ChunkChars);
        Assert.Equal(new TinyK1024Tokenizer().Encode(text).Count, TokenCounter.TinyK1024().Count(text));
    }

    [Fact]
    public void ChunksEndAtNewlinesBetweenNonBlankCharacters()
    {
        var text = new string('a', TokenCounter.ChunkChars) + "\n\nb\nc" + new string('d', 10);
        int end = TokenCounter.ChunkEnd(text, 0);
        Assert.Equal("c", text[end..(end + 1)]);
    }
}
