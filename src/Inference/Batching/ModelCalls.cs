using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>
/// The model's forward without its LM head, so the head (<see cref="ModuleFormerForCausalLM.Logits"/>) runs only on
/// the positions we need. The full forward returns
/// (B, T, V) fp32 logits for every prompt position: for a 2k-token prompt and MoLM's 50k vocabulary that is
/// 400 MB computed and thrown away at every prefill.
/// </summary>
internal static class ModelCalls
{
    /// <param name="inputIds">(B, T)</param>
    /// <param name="attentionMask">null or (B, cached + T)</param>
    /// <returns>(B, T, D) final hidden states (after ln_f) and the routing of every layer.</returns>
    public static (Tensor Hidden, IReadOnlyList<LayerRouting> Routing) Body(ModuleFormerForCausalLM model, Tensor inputIds,
        Tensor? attentionMask, KvCache cache, ExpertMask? expertMask)
    {
        var (hidden, routing, _) = model.Transformer.forward(inputIds, attentionMask, cache, expertMask, outputHiddenStates: false);
        return (hidden, routing);
    }
}
