using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// Shared behaviour of the GPT-2-family tokenizers: encoding is delegated to a tiktoken BPE whose
/// special tokens include the whitespace runs; decoding concatenates per-id bytes, so <see cref="Decode"/>
/// and <see cref="StreamingDecoder"/> can never disagree. Special tokens (end-of-text, whitespace runs) are split
/// out here, longest first, and only the text between them reaches the BPE: the library looks special tokens up
/// through its LRU piece cache, and once enough distinct words have evicted them it encodes a 3-space run as three
/// single spaces.
/// </summary>
public abstract class ByteLevelBpeTokenizer : ITextTokenizer
{
    private readonly TiktokenTokenizer _bpe;
    private readonly Lazy<ReadOnlyMemory<byte>[]> _tokenBytes;
    private readonly int _producedIds;
    private readonly Regex _specials;

    /// <param name="name">Catalog name.</param>
    /// <param name="vocabSize">Embedding rows; ids from <paramref name="producedIds"/> up are padding.</param>
    /// <param name="producedIds">Ranks plus special tokens: the ids the encoder can emit.</param>
    /// <param name="endOfTextId">The <c>&lt;|endoftext|&gt;</c> id.</param>
    /// <param name="bpe">Encoder with every non-rank token registered as a special token.</param>
    /// <param name="ranks">Produces the byte strings of ids 0..ranks-1; called once, on first decode.</param>
    private protected ByteLevelBpeTokenizer(
        string name, int vocabSize, int producedIds, int endOfTextId, TiktokenTokenizer bpe, Func<IReadOnlyList<byte[]>> ranks)
    {
        Name = name;
        VocabSize = vocabSize;
        EndOfTextId = endOfTextId;
        _producedIds = producedIds;
        _bpe = bpe;
        _specials = SpecialsPattern(bpe.SpecialTokens);
        _tokenBytes = new Lazy<ReadOnlyMemory<byte>[]>(() => BuildTokenBytes(ranks()));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public int EndOfTextId { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        int at = 0;
        for (var match = _specials.Match(text); match.Success; match = match.NextMatch())
        {
            if (match.Index > at) ids.AddRange(_bpe.EncodeToIds(text.Substring(at, match.Index - at)));
            ids.Add(_bpe.SpecialTokens![match.Value]);
            at = match.Index + match.Length;
        }
        if (at < text.Length) ids.AddRange(_bpe.EncodeToIds(at == 0 ? text : text[at..]));
        return ids;
    }

    /// <summary>All special tokens, longest first, so an 8-space indent is one token and not four 2-space ones.</summary>
    private static Regex SpecialsPattern(IReadOnlyDictionary<string, int>? specials) =>
        new(string.Join('|', (specials?.Keys ?? []).OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal).Select(Regex.Escape))
            is { Length: > 0 } pattern ? pattern : "(?!)", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new ArrayBufferWriter<byte>();
        foreach (var id in ids)
            bytes.Write(GetTokenBytes(id).Span);
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> GetTokenBytes(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, VocabSize);
        return _tokenBytes.Value[id];
    }

    /// <inheritdoc />
    public bool IsSpecial(int id) => id == EndOfTextId || (id >= _producedIds && id < VocabSize);

    private ReadOnlyMemory<byte>[] BuildTokenBytes(IReadOnlyList<byte[]> ranks)
    {
        var table = new ReadOnlyMemory<byte>[VocabSize];
        for (var id = 0; id < ranks.Count; id++)
            table[id] = ranks[id];
        foreach (var (text, id) in _bpe.SpecialTokens ?? new Dictionary<string, int>())
            table[id] = Encoding.UTF8.GetBytes(text);
        // Padding ids stay empty: a barely trained model may still sample them.
        return table;
    }
}
