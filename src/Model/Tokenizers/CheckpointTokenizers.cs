namespace ModuleService.Model.Tokenizers;

/// <summary>Which tokenizer a checkpoint uses, shared by the CLI and the server.</summary>
public static class CheckpointTokenizers
{
    /// <summary>Files that mark a Hugging Face checkpoint as carrying its own tokenizer.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles = ["tokenizer.json", "vocab.json", "merges.txt"];

    /// <summary>
    /// <c>modsvc_tokenizer</c> in config.json wins; otherwise tokenizer files next to a MoLM-sized vocabulary mean the
    /// MoLM tokenizer; otherwise (e.g. the reference fixtures) the model takes and renders raw token ids.
    /// </summary>
    /// <exception cref="ArgumentException">the named tokenizer does not fit the model's vocabulary.</exception>
    public static ITextTokenizer For(ModuleFormerConfig config, bool hasTokenizerFiles)
    {
        ITextTokenizer tokenizer = config.Tokenizer switch
        {
            TokenIdTokenizer.TokenizerName => Ids(config),
            string name => TokenizerCatalog.Create(name),
            null when hasTokenizerFiles && config.VocabSize == MolmTokenizer.Size => TokenizerCatalog.Create(MolmTokenizer.TokenizerName),
            null => Ids(config),
        };
        if (tokenizer.VocabSize > config.VocabSize)
            throw new ArgumentException($"tokenizer '{tokenizer.Name}' has {tokenizer.VocabSize} ids but the model only {config.VocabSize}");
        return tokenizer;
    }

    private static TokenIdTokenizer Ids(ModuleFormerConfig config) =>
        new(config.VocabSize, config.EosTokenId is int eos && eos >= 0 && eos < config.VocabSize ? eos : -1);
}
