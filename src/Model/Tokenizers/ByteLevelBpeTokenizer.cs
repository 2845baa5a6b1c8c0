using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// Shared behaviour of the GPT-2-family tokenizers: encoding is delegated to a tiktoken BPE whose
/// special tokens include the whitespace runs; decoding concatenates per-id bytes, so <see cref="Decode"/>
/// and <see cref="StreamingDecoder"/> can never disagree.
/// </summary>
public abstract class ByteLevelBpeTokenizer : ITextTokenizer
{
    private readonly TiktokenTokenizer _bpe;
    private readonly Lazy<ReadOnlyMemory<byte>[]> _tokenBytes;
    private readonly int _producedIds;

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
        return _bpe.EncodeToIds(text);
    }

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
