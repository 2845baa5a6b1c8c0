namespace ModuleService.Model.Training;

/// <summary>
/// Training batches from one token stream: B windows of T + 1 tokens at random offsets (with replacement, as
/// nanoGPT's <c>get_batch</c>). Batch i depends only on (seed, i), so a run resumed at step i draws exactly what an
/// uninterrupted run would have drawn.
/// </summary>
public sealed class TokenBatcher
{
    private readonly int[] tokens;

    /// <param name="tokens">the training stream; copied, so later changes by the caller do not leak in.</param>
    /// <param name="batchSize">B, windows per batch.</param>
    /// <param name="sequenceLength">T, predicted tokens per window.</param>
    /// <param name="seed">fixes the window offsets of every batch.</param>
    public TokenBatcher(IReadOnlyList<int> tokens, int batchSize, int sequenceLength, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        if (tokens.Count < sequenceLength + 1)
            throw new ArgumentException($"{tokens.Count} tokens cannot fill one window of T + 1 = {sequenceLength + 1}", nameof(tokens));
        this.tokens = tokens.ToArray();
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        Seed = seed;
        Fingerprint = ComputeFingerprint(this.tokens);
    }

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public long Seed { get; }
    public int TokenCount => tokens.Length;

    /// <summary>FNV-1a over the stream; saved with trainer state so a resume on different data is refused.</summary>
    public ulong Fingerprint { get; }

    /// <summary>
    /// Joins documents into one stream, each followed by <paramref name="endOfTextId"/> (GPT-2 style), so a window
    /// that crosses a boundary learns that a new document starts after the separator.
    /// </summary>
    public static int[] Concatenate(IEnumerable<IReadOnlyList<int>> documents, int endOfTextId)
    {
        var stream = new List<int>();
        foreach (var document in documents)
        {
            stream.AddRange(document);
            stream.Add(endOfTextId);
        }
        return stream.ToArray();
    }

    /// <summary>A batcher over documents joined by <see cref="Concatenate"/>.</summary>
    public static TokenBatcher FromDocuments(IEnumerable<IReadOnlyList<int>> documents, int endOfTextId, int batchSize,
        int sequenceLength, long seed) => new(Concatenate(documents, endOfTextId), batchSize, sequenceLength, seed);

    /// <summary>Batch <paramref name="index"/> (the batch of 0-based training step <paramref name="index"/>).</summary>
    public TokenBatch Batch(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        int window = SequenceLength + 1;
        long starts = tokens.Length - window + 1;
        var windows = new long[BatchSize * window];
        for (int row = 0; row < BatchSize; row++)
        {
            // One draw per (step, row): stream = row keeps rows independent of the batch size's other rows.
            long start = DeterministicRandom.Below(starts, Seed, row, index);
            for (int t = 0; t < window; t++) windows[row * window + t] = tokens[start + t];
        }
        return TokenBatch.FromWindows(windows, BatchSize, window);
    }

    private static ulong ComputeFingerprint(int[] stream)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var token in stream)
        {
            hash = (hash ^ (uint)token) * 1099511628211UL;
        }
        return hash ^ (ulong)stream.Length;
    }
}
