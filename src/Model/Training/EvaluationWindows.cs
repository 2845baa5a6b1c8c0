namespace ModuleService.Model.Training;

/// <summary>
/// Covers a token sequence once for evaluation. Windows of T + 1 tokens start at 0, T, 2T, …: their inputs do not
/// overlap and every token after the first is predicted exactly once (context restarts at each window). The last
/// window may be shorter; it forms its own batch so full windows batch without padding.
/// </summary>
public static class EvaluationWindows
{
    /// <summary>Tokens that get a prediction: all but the first, capped at <paramref name="maxTokens"/>.</summary>
    public static long PredictedTokens(int tokenCount, long? maxTokens = null)
    {
        long predicted = Math.Max(0, tokenCount - 1);
        return maxTokens is { } cap ? Math.Min(predicted, Math.Max(0, cap)) : predicted;
    }

    /// <summary>
    /// Tokens of the text the windows span (the first token plus the predicted ones): decode
    /// <c>tokens[0 .. CoveredTokens)</c> to count the UTF-8 bytes that bits per byte divides by.
    /// </summary>
    public static long CoveredTokens(int tokenCount, long? maxTokens = null)
    {
        long predicted = PredictedTokens(tokenCount, maxTokens);
        return predicted == 0 ? 0 : predicted + 1;
    }

    /// <summary>The evaluation batches in order; the caller disposes each one.</summary>
    /// <param name="batchSize">full windows per batch.</param>
    /// <param name="sequenceLength">T, predicted tokens per full window.</param>
    /// <param name="maxTokens">cap on predicted tokens (null: the whole sequence).</param>
    public static IEnumerable<TokenBatch> Batches(IReadOnlyList<int> tokens, int batchSize, int sequenceLength, long? maxTokens = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        return Iterate(tokens, batchSize, sequenceLength, PredictedTokens(tokens.Count, maxTokens));
    }

    private static IEnumerable<TokenBatch> Iterate(IReadOnlyList<int> tokens, int batchSize, int sequenceLength, long predicted)
    {
        long fullWindows = predicted / sequenceLength;
        for (long first = 0; first < fullWindows; first += batchSize)
        {
            int rows = (int)Math.Min(batchSize, fullWindows - first);
            yield return Windows(tokens, first * sequenceLength, rows, sequenceLength);
        }
        int tail = (int)(predicted % sequenceLength);
        if (tail > 0) yield return Windows(tokens, fullWindows * sequenceLength, 1, tail);
    }

    /// <summary><paramref name="rows"/> consecutive windows of <paramref name="length"/> + 1 tokens from <paramref name="start"/>, stride <paramref name="length"/>.</summary>
    private static TokenBatch Windows(IReadOnlyList<int> tokens, long start, int rows, int length)
    {
        int window = length + 1;
        var ids = new long[rows * window];
        for (int row = 0; row < rows; row++)
        {
            for (int t = 0; t < window; t++) ids[row * window + t] = tokens[(int)(start + (long)row * length + t)];
        }
        return TokenBatch.FromWindows(ids, rows, window);
    }
}
