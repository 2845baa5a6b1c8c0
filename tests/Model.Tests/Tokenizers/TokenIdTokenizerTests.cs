using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Model.Tests.Tokenizers;

public class TokenIdTokenizerTests
{
    private readonly TokenIdTokenizer _ids = new(vocabSize: 100, endOfTextId: 99);

    [Fact]
    public void Decode_WritesAngleBracketedIds()
    {
        Assert.Equal("<1><2>", _ids.Decode([1, 2]));
        Assert.Equal("", _ids.Decode([]));
        Assert.Equal("<0>"u8.ToArray(), _ids.GetTokenBytes(0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => _ids.Decode([100]));
    }

    [Fact]
    public void Encode_ParsesTheSameFormat()
    {
        Assert.Equal([1, 2, 99], _ids.Encode("<1><2><99>"));
        Assert.Empty(_ids.Encode(""));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("<1> <2>")]
    [InlineData("<1")]
    [InlineData("<>")]
    [InlineData("<-1>")]
    [InlineData("<+1>")]
    [InlineData("< 1>")]
    [InlineData("<100>")]
    [InlineData("<99999999999>")]
    [InlineData("<1>x")]
    public void Encode_RejectsAnythingElse(string text) => Assert.Throws<FormatException>(() => _ids.Encode(text));

    [Fact]
    public void Properties_ComeFromTheConstructor()
    {
        Assert.Equal("ids", _ids.Name);
        Assert.Equal(100, _ids.VocabSize);
        Assert.Equal(99, _ids.EndOfTextId);
        Assert.True(_ids.IsSpecial(99));
        Assert.False(_ids.IsSpecial(1));
        Assert.False(new TokenIdTokenizer(10).IsSpecial(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenIdTokenizer(10, 10));
    }
}
