using System.Collections.Frozen;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// Tokenizers by catalog name (the <c>modsvc_tokenizer</c> key of a checkpoint config). Building one takes
/// up to ~200 ms, so each is created once per process, on first use, and shared.
/// </summary>
public static class TokenizerCatalog
{
    // Lazy's default mode runs each factory at most once even under concurrent first calls.
    private static readonly FrozenDictionary<string, Lazy<ITextTokenizer>> Tokenizers =
        new Dictionary<string, Lazy<ITextTokenizer>>
        {
            [MolmTokenizer.TokenizerName] = new(() => new MolmTokenizer()),
            [TinyK1024Tokenizer.TokenizerName] = new(() => new TinyK1024Tokenizer()),
        }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [MolmTokenizer.TokenizerName, TinyK1024Tokenizer.TokenizerName];

    /// <summary>The shared tokenizer with this name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is not in <see cref="Names"/>.</exception>
    public static ITextTokenizer Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Tokenizers.TryGetValue(name, out var tokenizer))
            throw new ArgumentException(
                $"Unknown tokenizer '{name}'. Known tokenizers: {string.Join(", ", Names)}.", nameof(name));
        return tokenizer.Value;
    }
}
