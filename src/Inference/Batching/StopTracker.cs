using ModuleService.Model.Generation;

namespace ModuleService.Inference.Batching;

/// <summary>
/// One request's released tokens and stop conditions, with the same rules as <c>TextGenerator</c> so a batched
/// request ends exactly where a solo generation would: EOS is dropped, a matched stop sequence is removed, and
/// tokens that might begin a stop sequence are held back so a stream never shows text that is later removed.
/// </summary>
internal sealed class StopTracker(CompletionJob job, Action<GeneratedToken> release)
{
    private readonly List<GeneratedToken> tokens = [];
    private int released;

    /// <summary>Set once a stop condition ended the request.</summary>
    public bool Stopped { get; private set; }

    public void Accept(GeneratedToken token)
    {
        if (token.TokenId == job.EosTokenId) { Stop(); return; }
        tokens.Add(token);
        if (job.StopSequences?.FirstOrDefault(s => MatchesAt(s, tokens.Count - s.Length, s.Length)) is long[] stop)
        {
            tokens.RemoveRange(tokens.Count - stop.Length, stop.Length);
            Stop();
            return;
        }
        if (!Release(tokens.Count - PendingStopPrefix())) Stop();
    }

    /// <summary>Releases held-back tokens when the request ends for length.</summary>
    public void ReleaseAll() => Release(tokens.Count);

    private void Stop()
    {
        Stopped = true;
        Release(tokens.Count);
    }

    /// <summary>Releases tokens up to <paramref name="upTo"/>; false if the text-stop callback asked to end.</summary>
    private bool Release(int upTo)
    {
        for (; released < upTo; released++)
        {
            release(tokens[released]);
            if (job.StopAfterToken?.Invoke(tokens[released].TokenId) == true)
            {
                released++;
                tokens.RemoveRange(released, tokens.Count - released);
                return false;
            }
        }
        return true;
    }

    /// <summary>Length of the longest suffix of the output that is a proper prefix of a stop sequence.</summary>
    private int PendingStopPrefix()
    {
        int longest = 0;
        foreach (var stop in job.StopSequences ?? [])
            for (int length = Math.Min(stop.Length - 1, tokens.Count); length > longest; length--)
                if (MatchesAt(stop, tokens.Count - length, length)) { longest = length; break; }
        return longest;
    }

    private bool MatchesAt(long[] sequence, int start, int length)
    {
        if (start < 0) return false;
        for (int i = 0; i < length; i++)
            if (tokens[start + i].TokenId != sequence[i]) return false;
        return true;
    }
}
