using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Model.Tests.Tokenizers;

public class MolmTokenizerTests
{
    private static readonly ITextTokenizer Molm = TokenizerCatalog.Create("molm");

    // data-and-evaluation.md §2.2 and moduleformer-spec.md §2.
    public static TheoryData<string, int[]> ReferenceVectors => new()
    {
        { "Hello World", [15496, 2159] },
        { " Hello World", [18435, 2159] },
        { "the brown fox jumped over the lazy dog!\r\n", [1169, 7586, 21831, 11687, 625, 262, 16931, 3290, 0, 201, 198] },
        {
            "Some Greek letters ΣΦΩ αβγδε.",
            [4366, 8312, 7475, 7377, 96, 138, 99, 138, 102, 26367, 26638, 42063, 138, 112, 30950, 13]
        },
        {
            "def f(x):\n        return x  # eight spaces\n\t\tindent",
            [4299, 277, 7, 87, 2599, 198, 50280, 7783, 2124, 50286, 2, 3624, 9029, 198, 50294, 521, 298]
        },
        { "        return", [50280, 7783] },
    };

    [Theory]
    [MemberData(nameof(ReferenceVectors))]
    public void Encode_MatchesReferenceVectors(string text, int[] expected)
    {
        Assert.Equal(expected, Molm.Encode(text));
        Assert.Equal(text, Molm.Decode(expected));
    }

    [Fact]
    public void Properties_AreMolms()
    {
        Assert.Equal("molm", Molm.Name);
        Assert.Equal(50295, Molm.VocabSize);
        Assert.Equal(50256, Molm.EndOfTextId);
        Assert.True(Molm.IsSpecial(50256));
        Assert.False(Molm.IsSpecial(50280));
        Assert.False(Molm.IsSpecial(15496));
        Assert.Equal("<|endoftext|>", Molm.Decode([50256]));
    }

    [Fact]
    public void SpaceRuns_OfEveryLength_MapToTheirIds_AndTheWordKeepsNoLeadingSpace()
    {
        for (var n = 2; n <= 31; n++)
        {
            var run = new string(' ', n);
            var id = 50257 + (31 - n);
            Assert.Equal([id], Molm.Encode(run));
            Assert.Equal([id, 7783], Molm.Encode(run + "return"));
            Assert.Equal(run, Molm.Decode([id]));
        }
    }

    [Fact]
    public void TabRuns_OfEveryLength_MapToTheirIds()
    {
        for (var n = 2; n <= 9; n++)
        {
            var run = new string('\t', n);
            var id = 50287 + (9 - n);
            Assert.Equal([id], Molm.Encode(run));
            Assert.Equal([id, 521, 298], Molm.Encode(run + "indent"));
            Assert.Equal(run, Molm.Decode([id]));
        }
    }

    [Fact]
    public void SingleSpace_IsOrdinaryGpt2()
    {
        Assert.Equal([1441], Molm.Encode(" return"));
        Assert.Equal([87, 220, 198], Molm.Encode("x \n"));
    }

    [Fact]
    public void LongRuns_SplitLongestFirst()
    {
        // 32 spaces: a 31-space token, then the single space is GPT-2's " return" (1441).
        Assert.Equal([50257, 1441], Molm.Encode(new string(' ', 32) + "return"));
        // 40 = 31 + 9; 62 = 31 + 31.
        Assert.Equal([50257, 50279, 87], Molm.Encode(new string(' ', 40) + "x"));
        Assert.Equal([50257, 50257], Molm.Encode(new string(' ', 62)));
        // 12 tabs = 9 + 3.
        Assert.Equal([50287, 50293, 88], Molm.Encode(new string('\t', 12) + "y"));
        Assert.Equal([50286, 50294, 50286], Molm.Encode("  \t\t  "));
    }

    [Theory]
    [InlineData("The quick brown fox jumps over the lazy dog. It's 42°C outside!")]
    [InlineData("for (int i = 0; i < n; i++)\n{\n    total += values[i];\n}\n")]
    [InlineData("Grüße aus Köln: Übermäßig schöne Straßen.")]
    [InlineData("emoji 😀🎉👩‍👩‍👧 and 漢字 too")]
    public void DecodeEncode_RoundTrips(string text) => Assert.Equal(text, Molm.Decode(Molm.Encode(text)));

    [Fact]
    public void Decode_RejectsIdsOutsideTheVocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Molm.Decode([50295]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Molm.Decode([-1]));
    }
}
