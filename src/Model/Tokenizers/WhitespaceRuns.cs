namespace ModuleService.Model.Tokenizers;

/// <summary>
/// CodeGen's 38 added whitespace tokens, which MoLM inherited: runs of 31..2 spaces, then 9..2 tabs,
/// on consecutive ids.
/// </summary>
internal static class WhitespaceRuns
{
    public const int MaxSpaces = 31;
    public const int MaxTabs = 9;
    public const int Count = (MaxSpaces - 1) + (MaxTabs - 1);

    /// <summary>
    /// The run strings with their ids, longest first within each kind. The order matters: the
    /// special-token matcher tries alternatives in insertion order, so a shorter run listed first would
    /// split an 8-space indent into four 2-space tokens.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, int>> Tokens(int firstId)
    {
        for (var n = MaxSpaces; n >= 2; n--)
            yield return new(new string(' ', n), firstId + (MaxSpaces - n));
        var firstTabId = firstId + MaxSpaces - 1;
        for (var n = MaxTabs; n >= 2; n--)
            yield return new(new string('\t', n), firstTabId + (MaxTabs - n));
    }
}
