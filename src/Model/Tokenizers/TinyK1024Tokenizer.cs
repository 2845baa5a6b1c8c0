using System.Resources;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ModuleService.Model.Tokenizers;

/// <summary>
/// The project's tokenizer for small models: GPT-2's first 1024 ranks (256 bytes + 768 merges), id 1024
/// <c>&lt;|endoftext|&gt;</c>, ids 1025..1062 the MoLM whitespace runs in MoLM order, and 25 padding ids up
/// to 1088 rows. A rank-truncated BPE is still a valid BPE, so every id below 1024 is the same GPT-2/MoLM id
/// (see <see cref="MolmId"/>). The rank table is the committed <c>gpt2-k1024.tiktoken</c>.
/// </summary>
public sealed class TinyK1024Tokenizer : ByteLevelBpeTokenizer
{
    /// <summary>Catalog name.</summary>
    public const string TokenizerName = "tiny-k1024";

    /// <summary>Number of GPT-2 ranks kept.</summary>
    public const int Ranks = 1024;

    /// <summary><c>&lt;|endoftext|&gt;</c>.</summary>
    public const int EndOfText = Ranks;

    /// <summary>Embedding rows: 1063 used ids padded to a multiple of 64.</summary>
    public const int Size = 1088;

    /// <summary>Adding this to a tiny id at or above 1024 gives the MoLM id (1024 → 50256).</summary>
    public const int MolmOffset = MolmTokenizer.EndOfText - EndOfText;

    private const int ProducedIds = Ranks + 1 + WhitespaceRuns.Count;

    // GPT-2's split pattern; CreateForModel's built-in copy cannot be reused because its pre-tokenizer
    // does not know the whitespace specials and would never emit them.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Builds the tokenizer (~20 ms); prefer <see cref="TokenizerCatalog.Create"/>, which caches it.</summary>
    public TinyK1024Tokenizer()
        : this(ReadRankText())
    {
    }

    private TinyK1024Tokenizer(string rankText)
        : base(TokenizerName, Size, ProducedIds, EndOfText, CreateBpe(rankText), () => RankFile.Parse(new StringReader(rankText)))
    {
    }

    /// <summary>Maps a tiny id to the MoLM id of the same token.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A padding id or an id outside the vocabulary.</exception>
    public static int MolmId(int tinyId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tinyId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tinyId, ProducedIds);
        return tinyId < Ranks ? tinyId : tinyId + MolmOffset;
    }

    /// <summary>Maps a MoLM id to the tiny id of the same token.</summary>
    /// <exception cref="ArgumentOutOfRangeException">MoLM ids 1024..50255 are merges the tiny vocabulary lacks.</exception>
    public static int TinyId(int molmId) => TryTinyId(molmId, out var tinyId)
        ? tinyId
        : throw new ArgumentOutOfRangeException(nameof(molmId), molmId, "This MoLM id has no tiny-k1024 equivalent.");

    /// <summary>Maps a MoLM id to the tiny id of the same token if the tiny vocabulary has it.</summary>
    public static bool TryTinyId(int molmId, out int tinyId)
    {
        tinyId = molmId switch
        {
            >= 0 and < Ranks => molmId,
            >= MolmTokenizer.EndOfText and < MolmTokenizer.Size => molmId - MolmOffset,
            _ => -1,
        };
        return tinyId >= 0;
    }

    private static TiktokenTokenizer CreateBpe(string rankText)
    {
        var specials = new Dictionary<string, int> { ["<|endoftext|>"] = EndOfText };
        foreach (var (run, id) in WhitespaceRuns.Tokens(EndOfText + 1))
            specials.Add(run, id);
        var preTokenizer = new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.Compiled), specials);
        using var ranks = new MemoryStream(Encoding.UTF8.GetBytes(rankText));
        return TiktokenTokenizer.Create(ranks, preTokenizer, normalizer: null, specialTokens: specials);
    }

    // Gpt2K1024Ranks.resx inlines gpt2-k1024.tiktoken; a resx is embedded by the SDK's default glob.
    private static string ReadRankText() =>
        new ResourceManager(typeof(TinyK1024Tokenizer).Namespace + ".Gpt2K1024Ranks", typeof(TinyK1024Tokenizer).Assembly)
            .GetString("Ranks")
        ?? throw new InvalidOperationException("The embedded tiny-k1024 rank table is missing.");
}
