using System.Text;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using Xunit;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>Line splitting and validation, independent of how the bytes are cut into reads.</summary>
public sealed class DatasetParserTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public void Documents_DoNotDependOnReadBoundaries(int readSize)
    {
        var text = Encoding.UTF8.GetBytes("\uFEFFzürich 😀\r\nline two\n\n \nnext ☃\n\n\n");

        Assert.Equal(["zürich 😀\nline two", "next ☃"], Parse(DatasetFormat.Text, text, readSize));
    }

    [Fact]
    public void AMultiByteCharacterSplitAcrossReads_IsValid()
    {
        var jsonl = Encoding.UTF8.GetBytes("{\"text\": \"é😀\"}");

        Assert.Equal(["é😀"], Parse(DatasetFormat.Jsonl, jsonl, readSize: 1));
    }

    [Fact]
    public void AnOverlongEncoding_IsInvalidUtf8()
    {
        // 0xC0 0xAF is '/' encoded in two bytes: forbidden by UTF-8.
        var error = Assert.Throws<InvalidModuleOperationException>(() => Parse(DatasetFormat.Text, [.. "ok\n"u8, 0xC0, 0xAF], readSize: 1));

        Assert.Equal("line 2", error.Target);
    }

    [Fact]
    public void ALoneSurrogateEscape_IsRejected()
    {
        var error = Assert.Throws<InvalidModuleOperationException>(() => Parse(DatasetFormat.Jsonl, "{\"text\": \"\\ud800\"}"u8.ToArray(), 64));

        Assert.Equal("line 1", error.Target);
    }

    [Fact]
    public void TextWithoutBlankLines_IsOneDocument() =>
        Assert.Equal(["a\nb\nc"], Parse(DatasetFormat.Text, "a\nb\nc"u8.ToArray(), 64));

    static List<string> Parse(DatasetFormat format, byte[] content, int readSize)
    {
        var parser = new DatasetParser(format, 1 << 20, collect: true);
        var documents = new List<string>();
        foreach (var read in content.Chunk(readSize))
        {
            parser.Feed(read);
            documents.AddRange(parser.TakeCompleted());
        }
        parser.Finish();
        documents.AddRange(parser.TakeCompleted());
        Assert.Equal(documents.Count, parser.Documents);
        return documents;
    }
}
