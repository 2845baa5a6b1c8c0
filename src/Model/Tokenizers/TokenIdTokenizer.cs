using System.Globalization;
using System.Text;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// Fallback for checkpoints that come without tokenizer files: text is the ids themselves, written as
/// <c>&lt;17&gt;</c> per id with no separators (Decode([1, 2]) = <c>&lt;1&gt;&lt;2&gt;</c>), so such a
/// model can still be prompted and sampled end to end.
/// </summary>
public sealed class TokenIdTokenizer : ITextTokenizer
{
    /// <summary>Name used when a model has no real tokenizer.</summary>
    public const string TokenizerName = "ids";

    /// <param name="vocabSize">The checkpoint's <c>vocab_size</c>.</param>
    /// <param name="endOfTextId">The checkpoint's <c>eos_token_id</c>, or -1 if it has none.</param>
    public TokenIdTokenizer(int vocabSize, int endOfTextId = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(endOfTextId, -1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(endOfTextId, vocabSize);
        VocabSize = vocabSize;
        EndOfTextId = endOfTextId;
    }

    /// <inheritdoc />
    public string Name => TokenizerName;

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public int EndOfTextId { get; }

    /// <summary>Parses <c>&lt;id&gt;</c> tokens back to ids; the empty string gives no ids.</summary>
    /// <exception cref="FormatException">
    /// Anything other than concatenated <c>&lt;id&gt;</c> tokens, or an id outside the vocabulary.
    /// </exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var pos = 0;
        while (pos < text.Length)
        {
            var close = text.IndexOf('>', pos);
            if (text[pos] != '<' || close < 0)
                throw Invalid(text, pos);
            var digits = text.AsSpan(pos + 1, close - pos - 1);
            // Digits only: int.Parse alone would also accept signs and surrounding whitespace.
            if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9')
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= VocabSize)
                throw Invalid(text, pos);
            ids.Add(id);
            pos = close + 1;
        }
        return ids;
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (var id in ids)
            text.Append(Render(id));
        return text.ToString();
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> GetTokenBytes(int id) => Encoding.UTF8.GetBytes(Render(id));

    /// <inheritdoc />
    public bool IsSpecial(int id) => id >= 0 && id == EndOfTextId;

    private string Render(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, VocabSize);
        return string.Create(CultureInfo.InvariantCulture, $"<{id}>");
    }

    private static FormatException Invalid(string text, int pos) =>
        new($"Expected '<id>' tokens with 0 <= id < vocabulary size at position {pos} of '{Truncate(text)}'.");

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
