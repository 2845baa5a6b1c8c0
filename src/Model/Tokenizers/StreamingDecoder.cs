using System.Text;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// Turns generated ids into text one id at a time. Byte-level BPE tokens can end inside a multi-byte
/// character (an emoji is often 2-4 tokens), so bytes of an unfinished UTF-8 sequence are held back until
/// a later token completes them; emitting them early would put U+FFFD into the stream.
/// Not thread-safe: use one instance per generation stream.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly ITextTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    // The BCL decoder already keeps an incomplete trailing sequence between calls when flush is false.
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();

    /// <param name="tokenizer">Source of each id's bytes.</param>
    /// <param name="skipSpecialTokens">
    /// Drop ids for which <see cref="ITextTokenizer.IsSpecial"/> is true instead of emitting their text.
    /// With the default (false) the concatenated output equals <see cref="ITextTokenizer.Decode"/>.
    /// </param>
    public StreamingDecoder(ITextTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text it completes (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the tokenizer's vocabulary.</exception>
    public string Push(int id)
    {
        if (_skipSpecialTokens && _tokenizer.IsSpecial(id))
            return string.Empty;
        return Convert(_tokenizer.GetTokenBytes(id).Span, flush: false);
    }

    /// <summary>
    /// Ends the stream: returns held-back bytes (an unfinished character, rendered as U+FFFD) and resets
    /// the decoder for reuse.
    /// </summary>
    public string Flush() => Convert(ReadOnlySpan<byte>.Empty, flush: true);

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush)];
        var written = _utf8.GetChars(bytes, chars, flush);
        return new string(chars, 0, written);
    }
}
