using System.Text.Unicode;
using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Model.Tests.Tokenizers;

public class StreamingDecoderTests
{
    [Theory]
    [InlineData("molm")]
    [InlineData("tiny-k1024")]
    public void EmojiSplitAcrossTokens_IsEmittedWhole(string name)
    {
        var tokenizer = TokenizerCatalog.Create(name);
        const string text = "Hi 😀🎉 Grüße 漢字!";
        var ids = tokenizer.Encode(text);
        // The test only means something if some token ends inside a character.
        Assert.Contains(ids, id => !IsValidUtf8(tokenizer.GetTokenBytes(id).Span));

        var decoder = new StreamingDecoder(tokenizer);
        var pieces = ids.Select(decoder.Push).ToList();

        Assert.All(pieces, piece => Assert.DoesNotContain('\uFFFD', piece));
        Assert.All(pieces, piece => Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "split surrogate pair"));
        Assert.Equal(text, string.Concat(pieces) + decoder.Flush());
    }

    [Fact]
    public void EmojiAsSingleByteTokens_IsHeldBackUntilComplete()
    {
        var tiny = TokenizerCatalog.Create("tiny-k1024");
        var ids = tiny.Encode("😀");
        Assert.Equal(4, ids.Count);

        var decoder = new StreamingDecoder(tiny);
        Assert.Equal(["", "", "", "😀"], ids.Select(decoder.Push));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Flush_RendersAnUnfinishedCharacter_AndResets()
    {
        var tiny = TokenizerCatalog.Create("tiny-k1024");
        var ids = tiny.Encode("😀");
        var decoder = new StreamingDecoder(tiny);
        Assert.Equal("", decoder.Push(ids[0]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("a", decoder.Push(tiny.Encode("a")[0]));
    }

    [Fact]
    public void SpecialTokens_AreTextUnlessSkipped()
    {
        var molm = TokenizerCatalog.Create("molm");
        int[] ids = [15496, 50256, 50280];
        Assert.Equal("Hello<|endoftext|>        ", string.Concat(ids.Select(new StreamingDecoder(molm).Push)));
        Assert.Equal("Hello        ", string.Concat(ids.Select(new StreamingDecoder(molm, skipSpecialTokens: true).Push)));
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> bytes) => Utf8.IsValid(bytes);
}
