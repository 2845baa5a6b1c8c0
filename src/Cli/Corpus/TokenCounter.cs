using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli.Corpus;

/// <summary>
/// Counts tiny-k1024 tokens of large texts reproducibly. Microsoft.ML.Tokenizers 2.0.1 drifts after a tokenizer
/// instance has encoded several hundred KB (the same text then encodes differently: whitespace runs that should be
/// one special token come out as single spaces), so counts would depend on what was counted before. This counter
/// encodes ≤ 64 KB chunks and takes a fresh tokenizer every 256 KB. Chunks end at a <c>\n</c> between two
/// non-blank characters, where GPT-2's pre-tokenizer never joins across, so the sum equals the whole-text count.
/// </summary>
internal sealed class TokenCounter
{
    public const int ChunkChars = 64 * 1024;
    public const int CharsPerTokenizer = 256 * 1024;

    private readonly Func<ITextTokenizer> create;
    private ITextTokenizer tokenizer;
    private long encodedChars;

    public TokenCounter(Func<ITextTokenizer> create)
    {
        this.create = create;
        tokenizer = create();
    }

    public static TokenCounter TinyK1024() => new(() => new TinyK1024Tokenizer());

    public string TokenizerName => tokenizer.Name;

    public int Count(string text)
    {
        int total = 0;
        for (int start = 0; start < text.Length;)
        {
            int end = ChunkEnd(text, start);
            if (encodedChars + (end - start) > CharsPerTokenizer && encodedChars > 0)
            {
                tokenizer = create();
                encodedChars = 0;
            }
            total += tokenizer.Encode(text[start..end]).Count;
            encodedChars += end - start;
            start = end;
        }
        return total;
    }

    /// <summary>The end of the chunk starting at <paramref name="start"/>: after the last safe newline within
    /// <see cref="ChunkChars"/>, else the first safe one after it, else the end of the text.</summary>
    public static int ChunkEnd(string text, int start)
    {
        if (text.Length - start <= ChunkChars) return text.Length;
        for (int at = start + ChunkChars - 1; at > start; at--)
            if (IsSafeBreak(text, at)) return at + 1;
        for (int at = start + ChunkChars; at < text.Length - 1; at++)
            if (IsSafeBreak(text, at)) return at + 1;
        return text.Length;
    }

    private static bool IsSafeBreak(string text, int newline) =>
        text[newline] == '\n' && newline > 0 && newline + 1 < text.Length
        && !char.IsWhiteSpace(text[newline - 1]) && !char.IsWhiteSpace(text[newline + 1]);
}
