using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli.Experiments;

/// <summary>The three domains tokenized with tiny-k1024, and the pretraining mixture M = 50 % en-books + 50 % py-code.</summary>
public sealed class ProtocolData
{
    public ProtocolData(DomainTokens english, DomainTokens python, DomainTokens german)
    {
        (English, Python, German) = (english, python, german);
        // Equal token counts from both domains; batches draw windows uniformly, so each step is 50/50 in expectation.
        int half = Math.Min(english.Train.Length, python.Train.Length);
        Mixture = [.. english.Train.AsSpan(0, half), .. python.Train.AsSpan(0, half)];
    }

    public DomainTokens English { get; }
    public DomainTokens Python { get; }
    public DomainTokens German { get; }
    public int[] Mixture { get; }

    public IReadOnlyList<DomainTokens> All => [English, Python, German];

    public static ProtocolData Load(string root, ProtocolBudget budget)
    {
        var tokenizer = TokenizerCatalog.Create(TinyK1024Tokenizer.TokenizerName);
        DomainTokens Domain(string name) => DomainTokens.From(CorpusFiles.Read(root, name), tokenizer, budget.ValidationTokens);
        return new ProtocolData(Domain(CorpusFiles.English), Domain(CorpusFiles.Python), Domain(CorpusFiles.German));
    }
}
