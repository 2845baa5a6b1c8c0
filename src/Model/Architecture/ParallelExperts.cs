using ModuleService.Model.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// E independent linear maps stored as one <c>[E, in, out]</c> parameter (the reference layout: y = x · W[e],
/// no transpose). Rows arrive grouped by expert; each contiguous group is multiplied by its own matrix.
/// </summary>
public sealed class ParallelExperts : nn.Module
{
    private readonly Parameter weight;

    public ParallelExperts(int experts, int inputSize, int outputSize) : base(nameof(ParallelExperts))
    {
        weight = new Parameter(empty(experts, inputSize, outputSize));
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public int Experts => (int)weight.shape[0];
    public int InputSize => (int)weight.shape[1];
    public int OutputSize => (int)weight.shape[2];

    /// <summary>Expert weights are U(−1/in, +1/in) (1/fan_in, not 1/sqrt(fan_in)), as in the reference.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        using var _ = no_grad();
        // Tensor.uniform_ rather than nn.init.uniform_: TorchSharp 0.107's nn.init ignores the generator argument.
        weight.uniform_(-1.0 / InputSize, 1.0 / InputSize, generator);
    }

    /// <param name="sortedInputs">(N·k, in), rows grouped by expert in expert order.</param>
    /// <param name="expertSizes">rows per expert (host copy, length E).</param>
    /// <returns>(N·k, out)</returns>
    public Tensor forward(Tensor sortedInputs, long[] expertSizes)
    {
        using var _ = ForwardProfiler.Scope("experts");
        var products = new List<Tensor>(expertSizes.Length);
        // One unbind, not weight[e] per expert: the backward of each index is a zero-filled gradient of the whole
        // [E, in, out] parameter, so E of them made training's backward pass ~10× its forward; unbind's backward
        // stacks the per-expert gradients once.
        var matrices = weight.unbind(0);
        long start = 0;
        for (int e = 0; e < expertSizes.Length; e++)
        {
            long rows = expertSizes[e];
            if (rows == 0) continue;
            products.Add(sortedInputs.narrow(0, start, rows).mm(matrices[e]));
            start += rows;
        }
        return products.Count == 1 ? products[0] : cat(products, 0);
    }
}
