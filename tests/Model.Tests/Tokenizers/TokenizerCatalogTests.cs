using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Model.Tests.Tokenizers;

public class TokenizerCatalogTests
{
    [Fact]
    public void Create_ReturnsOneSharedInstancePerName()
    {
        var tokenizers = Enumerable.Range(0, 8).AsParallel().Select(_ => TokenizerCatalog.Create("tiny-k1024")).ToList();
        Assert.All(tokenizers, t => Assert.Same(tokenizers[0], t));
        Assert.Same(TokenizerCatalog.Create("molm"), TokenizerCatalog.Create("MoLM"));
        Assert.IsType<MolmTokenizer>(TokenizerCatalog.Create("molm"));
        Assert.IsType<TinyK1024Tokenizer>(tokenizers[0]);
    }

    [Theory]
    [InlineData("molm")]
    [InlineData("tiny-k1024")]
    public void SharedInstance_EncodesConsistentlyFromManyThreads(string name)
    {
        var tokenizer = TokenizerCatalog.Create(name);
        var texts = Enumerable.Range(0, 200).Select(i => $"Line {i}: Grüße 😀\n        return x{i}  # done").ToArray();
        var expected = texts.Select(t => tokenizer.Encode(t).ToArray()).ToArray();
        var actual = texts.AsParallel().WithDegreeOfParallelism(8).Select(t => tokenizer.Encode(t).ToArray()).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Create_UnknownName_ListsKnownNames()
    {
        var error = Assert.Throws<ArgumentException>(() => TokenizerCatalog.Create("gpt4"));
        Assert.Equal("name", error.ParamName);
        Assert.Contains("'gpt4'", error.Message);
        Assert.Contains("molm", error.Message);
        Assert.Contains("tiny-k1024", error.Message);
        Assert.Equal(["molm", "tiny-k1024"], TokenizerCatalog.Names);
    }

    [Fact]
    public void Create_Null_Throws() => Assert.Throws<ArgumentNullException>(() => TokenizerCatalog.Create(null!));
}
