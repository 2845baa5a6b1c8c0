using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Model.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Gradient checkpointing by blocks. The forward runs without a graph and keeps only each block's input
    /// (B, T, D); the head's loss is differentiated first, then every block, last to first, is run again with a
    /// graph from its saved input and differentiated against the gradient arriving from above plus its own router
    /// losses. Peak activation memory is one block's graph and the head's, not the whole stack's.
    /// </summary>
    /// <returns>the losses, as <see cref="Backward"/> returns them (summed over layers for the router losses).</returns>
    private (Tensor Lm, Tensor Aux, Tensor Concentration) CheckpointedBackward(Tensor inputs, Tensor labels, long step)
    {
        var body = model.Transformer;
        var blocks = body.Blocks;
        var embedded = body.Embed(inputs);                                       // (B, T, D), keeps its small graph
        var blockInputs = new List<Tensor>(blocks.Count + 1) { embedded.detach() };
        using (no_grad())
        {
            for (int layer = 0; layer < blocks.Count; layer++)
            {
                using var layerScope = NewDisposeScope();
                SeedBlock(step, layer);
                blockInputs.Add(blocks[layer].forward(blockInputs[layer], null, null, null).Hidden.MoveToOuterDisposeScope());
            }
        }

        Tensor lmLoss, gradient;
        using (var headScope = NewDisposeScope())
        {
            var top = blockInputs[^1].detach().requires_grad_(true);
            var logits = model.LmHead.call(body.FinalNorm(top)).to(ScalarType.Float32); // (B, T, V)
            lmLoss = NextTokenLoss(logits, labels);
            lmLoss.backward();
            lmLoss = lmLoss.detach().MoveToOuterDisposeScope();
            gradient = top.grad!.MoveToOuterDisposeScope();                      // ∂loss/∂(last block's output)
        }

        var auxLoss = zeros(1, dtype: ScalarType.Float32).squeeze();
        var concentrationLoss = zeros(1, dtype: ScalarType.Float32).squeeze();
        for (int layer = blocks.Count - 1; layer >= 0; layer--)
        {
            using var layerScope = NewDisposeScope();
            var input = blockInputs[layer].detach().requires_grad_(true);
            SeedBlock(step, layer);                                              // the same dropout masks as the forward
            var (output, routing) = blocks[layer].forward(input, null, null, null);
            var layerAux = OfLayer(routing, AuxLossOf);
            var layerConcentration = OfLayer(routing, RoutingLosses.LoadConcentration);
            // Σ output · gradient has the gradient above as its derivative with respect to the output.
            var surrogate = (output * gradient).sum();
            if (RouterPenalty(layerAux, layerConcentration) is { } penalty) surrogate = surrogate + penalty;
            surrogate.backward();
            auxLoss = (auxLoss + layerAux.detach()).MoveToOuterDisposeScope();
            concentrationLoss = (concentrationLoss + layerConcentration.detach()).MoveToOuterDisposeScope();
            gradient = input.grad!.MoveToOuterDisposeScope();
        }
        if (embedded.requires_grad) embedded.backward([gradient]);              // a frozen embedding has no graph
        return (lmLoss, auxLoss, concentrationLoss);
    }

    /// <summary>Seeds block <paramref name="layer"/> of <paramref name="step"/>: its recomputation draws its first run's masks.</summary>
    private void SeedBlock(long step, int layer) => Reseed(BlockSeedStream - layer, step);

    /// <summary>Streams −2, −3, … of <see cref="DeterministicRandom"/>, one per block (−1 seeds the step).</summary>
    internal const long BlockSeedStream = -2;
}
