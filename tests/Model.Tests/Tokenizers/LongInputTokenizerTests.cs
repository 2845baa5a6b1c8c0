using System.Text;
using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Model.Tests.Tokenizers;

/// <summary>
/// A tokenizer gives the same ids for a text however much it encoded before. (Microsoft.ML.Tokenizers keeps an LRU
/// cache of pieces; once many distinct words had passed through it, whitespace runs came out as single spaces.)
/// </summary>
public class LongInputTokenizerTests
{
    [Theory]
    [InlineData("tiny-k1024")]
    [InlineData("molm")]
    public void Encoding_DoesNotDependOnWhatWasEncodedBefore(string name)
    {
        const string probe = "def f(x):\n        return x   # three\n\t\tindent    end";
        var fresh = name == "molm" ? (ITextTokenizer)new MolmTokenizer() : new TinyK1024Tokenizer();
        var expected = fresh.Encode(probe);

        // Far more distinct words than the library's cache holds (8192 pieces by default).
        var random = new Random(7);
        var text = new StringBuilder();
        for (int i = 0; i < 40_000; i++)
        {
            for (int c = 0; c < 3 + random.Next(6); c++) text.Append((char)('a' + random.Next(26)));
            text.Append(i % 7 == 0 ? "   " : i % 11 == 0 ? "\n\t\t" : " ");
        }
        var big = fresh.Encode(text.ToString());
        Assert.Equal(big, fresh.Encode(text.ToString()));

        Assert.Equal(expected, fresh.Encode(probe));
    }
}
