using static TorchSharp.torch;

namespace ModuleService.Model.Training;

/// <summary>One batch of next-token examples: <c>Labels[b, t]</c> is the token that follows <c>Inputs[b, t]</c>.</summary>
/// <param name="Inputs">(B, T) int64 token ids.</param>
/// <param name="Labels">(B, T) int64 token ids, already shifted by one.</param>
public sealed record TokenBatch(Tensor Inputs, Tensor Labels) : IDisposable
{
    /// <summary>Predicted tokens in the batch, B·T.</summary>
    public long Tokens => Labels.numel();

    /// <summary>Builds a batch from windows of T + 1 tokens (the first T are inputs, the last T labels).</summary>
    /// <param name="windows">B·(T + 1) ids, window after window.</param>
    internal static TokenBatch FromWindows(long[] windows, int batch, int windowLength)
    {
        using var scope = NewDisposeScope();
        var all = tensor(windows, [batch, windowLength]);                        // (B, T+1)
        var inputs = all.narrow(1, 0, windowLength - 1).contiguous();            // (B, T)
        var labels = all.narrow(1, 1, windowLength - 1).contiguous();            // (B, T)
        return new TokenBatch(inputs.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
