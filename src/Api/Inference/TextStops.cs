using ModuleService.Model.Tokenizers;

namespace ModuleService.Api.Inference;

/// <summary>
/// Decodes a choice's tokens and applies the stop strings: text that could still become a stop string is held
/// back, so a stream never shows text that the final answer removes.
/// </summary>
public sealed class TextStops(ITextTokenizer tokenizer, IReadOnlyList<string> stops)
{
    readonly StreamingDecoder decoder = new(tokenizer);
    readonly System.Text.StringBuilder text = new();
    int released;

    public bool Stopped { get; private set; }

    /// <summary>Adds a token; returns the text that is now safe to show (possibly empty).</summary>
    public string Push(long token)
    {
        if (Stopped) return "";
        text.Append(decoder.Push((int)token));
        return Release(final: false);
    }

    /// <summary>At the end of the choice: everything not yet shown (up to a stop string).</summary>
    public string Flush()
    {
        if (!Stopped) text.Append(decoder.Flush());
        return Release(final: true);
    }

    string Release(bool final)
    {
        var all = text.ToString();
        int end = all.Length;
        foreach (var stop in stops)
        {
            int at = all.IndexOf(stop, Math.Max(0, released - stop.Length + 1), StringComparison.Ordinal);
            if (at >= 0 && at < end) { end = at; Stopped = true; }
        }
        if (!Stopped && !final) end -= PendingPrefix(all);
        if (end <= released) return "";
        var piece = all[released..end];
        released = end;
        return piece;
    }

    /// <summary>Length of the longest end of the text that is the start of a stop string.</summary>
    int PendingPrefix(string all)
    {
        int longest = 0;
        foreach (var stop in stops)
            for (int length = Math.Min(stop.Length - 1, all.Length); length > longest; length--)
                if (string.CompareOrdinal(all, all.Length - length, stop, 0, length) == 0) { longest = length; break; }
        return longest;
    }
}
