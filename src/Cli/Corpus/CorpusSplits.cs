namespace ModuleService.Cli.Corpus;

/// <summary>How a domain's documents are divided (data-and-evaluation.md §1.4).</summary>
internal enum SplitRule
{
    /// <summary>Long documents (books): the last 5 % of each is validation, the 5 % before it test, the rest train.</summary>
    Tail,

    /// <summary>Many documents (files, pages): sorted index ≡ 0 (mod 20) validation, ≡ 1 test, the rest train.</summary>
    Modulo,
}

internal sealed record CorpusSplit(List<CorpusDocument> Train, List<CorpusDocument> Validation, List<CorpusDocument> Test);

/// <summary>
/// Deterministic document splits. Cuts inside a document fall on line starts (the first line starting at or after
/// 90 % / 95 % of its characters). The validation split is then capped at a token budget: when its documents hold
/// more, each keeps the longest run of whole leading lines within its proportional share
/// (cap × its tokens / all validation tokens) and the rest is used nowhere, so every document stays represented and
/// train never depends on the cap.
/// </summary>
internal static class CorpusSplits
{
    public const int Modulus = 20;
    public const double TailTrain = 0.90, TailTest = 0.95;

    public static CorpusSplit Split(IReadOnlyList<CorpusDocument> documents, SplitRule rule, Func<string, int> countTokens, long validationTokenCap)
    {
        var split = rule == SplitRule.Tail ? ByTail(documents) : ByIndex(documents);
        return split with { Validation = Cap(split.Validation, countTokens, validationTokenCap) };
    }

    public static CorpusSplit ByIndex(IReadOnlyList<CorpusDocument> documents)
    {
        var split = new CorpusSplit([], [], []);
        for (int i = 0; i < documents.Count; i++)
            ((i % Modulus) switch { 0 => split.Validation, 1 => split.Test, _ => split.Train }).Add(documents[i]);
        return split;
    }

    public static CorpusSplit ByTail(IReadOnlyList<CorpusDocument> documents)
    {
        var split = new CorpusSplit([], [], []);
        foreach (var document in documents)
        {
            var text = document.Text;
            int testStart = LineStartAtOrAfter(text, (int)(text.Length * TailTrain));
            int validationStart = Math.Max(testStart, LineStartAtOrAfter(text, (int)(text.Length * TailTest)));
            AddIfText(split.Train, document.Id, text[..testStart]);
            AddIfText(split.Test, document.Id, text[testStart..validationStart]);
            AddIfText(split.Validation, document.Id, text[validationStart..]);
        }
        return split;
    }

    public static List<CorpusDocument> Cap(List<CorpusDocument> validation, Func<string, int> countTokens, long cap)
    {
        var tokens = validation.Select(d => (long)countTokens(d.Text)).ToList();
        long total = tokens.Sum();
        if (total <= cap) return validation;
        double share = (double)cap / total;
        var capped = new List<CorpusDocument>();
        for (int i = 0; i < validation.Count; i++)
        {
            var kept = LeadingLines(validation[i].Text, (long)Math.Floor(share * tokens[i]), countTokens);
            if (kept.Length > 0) capped.Add(validation[i] with { Text = kept });
        }
        return capped;
    }

    /// <summary>The longest prefix of whole lines with at most <paramref name="budget"/> tokens (binary search).</summary>
    public static string LeadingLines(string text, long budget, Func<string, int> countTokens)
    {
        var ends = new List<int>();
        for (int at = text.IndexOf('\n'); at >= 0; at = text.IndexOf('\n', at + 1)) ends.Add(at + 1);
        if (ends.Count == 0 || ends[^1] != text.Length) ends.Add(text.Length);
        int low = 0, high = ends.Count;                 // low lines fit for sure; find the largest count that fits
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (countTokens(text[..ends[middle - 1]]) <= budget) low = middle;
            else high = middle - 1;
        }
        return low == 0 ? "" : text[..ends[low - 1]];
    }

    private static int LineStartAtOrAfter(string text, int position)
    {
        if (position <= 0) return 0;
        if (position >= text.Length) return text.Length;
        if (text[position - 1] == '\n') return position;
        int newline = text.IndexOf('\n', position);
        return newline < 0 ? text.Length : newline + 1;
    }

    private static void AddIfText(List<CorpusDocument> part, string id, string text)
    {
        if (text.Trim().Length > 0) part.Add(new CorpusDocument(id, text));
    }
}
