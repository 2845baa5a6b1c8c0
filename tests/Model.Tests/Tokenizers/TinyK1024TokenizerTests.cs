using System.Text;
using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Model.Tests.Tokenizers;

public class TinyK1024TokenizerTests
{
    private static readonly ITextTokenizer Tiny = TokenizerCatalog.Create("tiny-k1024");
    private static readonly ITextTokenizer Molm = TokenizerCatalog.Create("molm");

    public static TheoryData<string> Samples => new()
    {
        "The quick brown fox jumps over the lazy dog. It was the best of times.",
        "def f(x):\n        return x  # eight spaces\n\t\tindent",
        "Grüße aus Köln: Übermäßig schöne Straßen.",
        "emoji 😀🎉👩‍👩‍👧 and 漢字 too",
        "end<|endoftext|>start" + new string(' ', 45) + "x\r\n",
    };

    [Fact]
    public void Properties_AreTinys()
    {
        Assert.Equal("tiny-k1024", Tiny.Name);
        Assert.Equal(1088, Tiny.VocabSize);
        Assert.Equal(1024, Tiny.EndOfTextId);
        Assert.True(Tiny.IsSpecial(1024));
        Assert.False(Tiny.IsSpecial(1025));
        Assert.True(Tiny.IsSpecial(1063));
        Assert.True(Tiny.IsSpecial(1087));
        Assert.Equal(string.Empty, Tiny.Decode([1063, 1087]));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void DecodeEncode_RoundTrips(string text)
    {
        var ids = Tiny.Encode(text);
        Assert.All(ids, id => Assert.InRange(id, 0, 1062));
        Assert.Equal(text, Tiny.Decode(ids));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void MolmIds_OfTinyTokens_DecodeToTheSameText(string text)
    {
        var molmIds = Tiny.Encode(text).Select(TinyK1024Tokenizer.MolmId).ToArray();
        Assert.Equal(text, Molm.Decode(molmIds));
    }

    [Fact]
    public void EveryTinyId_HasTheBytesOfItsMolmId()
    {
        for (var id = 0; id < 1063; id++)
            Assert.True(Tiny.GetTokenBytes(id).Span.SequenceEqual(Molm.GetTokenBytes(TinyK1024Tokenizer.MolmId(id)).Span), $"id {id}");
    }

    [Fact]
    public void CommittedRankFile_IsTheFirst1024Gpt2Ranks()
    {
        var expected = RankFile.ReadGpt2(1024);
        Assert.Equal(1024, expected.Count);
        for (var id = 0; id < 1024; id++)
            Assert.Equal(expected[id], Tiny.GetTokenBytes(id).ToArray());
    }

    [Fact]
    public void WhitespaceRuns_UseMolmOrder()
    {
        for (var n = 2; n <= 31; n++)
            Assert.Equal([1025 + (31 - n), .. Tiny.Encode("return")], Tiny.Encode(new string(' ', n) + "return"));
        for (var n = 2; n <= 9; n++)
            Assert.Equal([1055 + (9 - n)], Tiny.Encode(new string('\t', n)));
        Assert.Equal([1025, 1025 + (31 - 9)], Tiny.Encode(new string(' ', 40)));
        Assert.Equal([1024], Tiny.Encode("<|endoftext|>"));
    }

    [Fact]
    public void CommonWords_GetTheSameIdsAsMolm()
    {
        // Words whose GPT-2 merges all rank below 1024 must not change id.
        const string text = " the of and in to";
        Assert.Equal(Molm.Encode(text), Tiny.Encode(text));
    }

    [Fact]
    public void IdMapping_FollowsTheOffsetRule()
    {
        Assert.Equal(17, TinyK1024Tokenizer.MolmId(17));
        Assert.Equal(50256, TinyK1024Tokenizer.MolmId(1024));
        Assert.Equal(50257, TinyK1024Tokenizer.MolmId(1025));
        Assert.Equal(50294, TinyK1024Tokenizer.MolmId(1062));
        Assert.Equal(1062, TinyK1024Tokenizer.TinyId(50294));
        Assert.Equal(1023, TinyK1024Tokenizer.TinyId(1023));
        Assert.Throws<ArgumentOutOfRangeException>(() => TinyK1024Tokenizer.MolmId(1063));
        Assert.Throws<ArgumentOutOfRangeException>(() => TinyK1024Tokenizer.TinyId(15496));
        Assert.False(TinyK1024Tokenizer.TryTinyId(1024, out _));
        Assert.False(TinyK1024Tokenizer.TryTinyId(50295, out _));
    }

    [Fact]
    public void GermanText_UsesSingleByteTokensForUmlauts()
    {
        // "ü" is two UTF-8 bytes; the tiny vocabulary has no merge for them, so they decode only together.
        var ids = Tiny.Encode("ü");
        Assert.Equal(2, ids.Count);
        Assert.Equal(Encoding.UTF8.GetBytes("ü"), ids.SelectMany(id => Tiny.GetTokenBytes(id).ToArray()).ToArray());
    }
}
