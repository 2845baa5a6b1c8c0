namespace ModuleService.Model.Tokenizers;

/// <summary>
/// A text tokenizer as the model sees it: text ↔ ids, plus the raw bytes of each id so that generated
/// tokens can be streamed without splitting multi-byte characters (see <see cref="StreamingDecoder"/>).
/// Implementations are immutable and safe to share between threads.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Catalog name stored with checkpoints (e.g. <c>molm</c>, <c>tiny-k1024</c>).</summary>
    string Name { get; }

    /// <summary>Embedding rows the tokenizer needs; every id it emits or decodes is below this.</summary>
    int VocabSize { get; }

    /// <summary>The <c>&lt;|endoftext|&gt;</c> id (also BOS); -1 if the tokenizer has none.</summary>
    int EndOfTextId { get; }

    /// <summary>Encodes text to ids. No prefix space or BOS is added.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>
    /// Decodes ids to text, special tokens included as their literal text; byte sequences that are not
    /// valid UTF-8 become U+FFFD.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, <see cref="VocabSize"/>).</exception>
    string Decode(IEnumerable<int> ids);

    /// <summary>
    /// The UTF-8 bytes one id stands for. A byte-level BPE token may hold only part of a character, so
    /// these bytes need not be valid UTF-8 on their own. Never-produced padding ids have no bytes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, <see cref="VocabSize"/>).</exception>
    ReadOnlyMemory<byte> GetTokenBytes(int id);

    /// <summary>
    /// True for control ids that are not text: end-of-text and padding ids. Whitespace-run tokens are
    /// ordinary text. Ids outside [0, <see cref="VocabSize"/>) are not special.
    /// </summary>
    bool IsSpecial(int id);
}
