using ModuleService.Model.Architecture;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary><see cref="ModuleFormerForCausalLM.Logits"/> (W·hᵀ, used by generation and serving) against forward's Linear head.</summary>
public sealed class HeadLogitsTests
{
    [Theory]
    [MemberData(nameof(ReferenceParityTests.AllCases), MemberType = typeof(ReferenceParityTests))]
    public void Logits_EqualTheForwardsLogits_ForEveryPositionAndForTheLastRows(string fixtureName, string caseName)
    {
        var fixture = ReferenceFixture.Load(fixtureName);
        var c = fixture.Cases.Single(x => x.Name == caseName);
        using var model = ReferenceParityTests.LoadModel(fixture);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();

        var output = model.forward(c.InputTensor(), c.MaskTensor(), outputHiddenStates: true);
        var hidden = output.HiddenStates![^1];                                       // (B, T, D) after ln_f

        var all = model.Logits(hidden);                                              // (B, T, V)
        Assert.Equal(output.Logits.shape, all.shape);
        ReferenceParityTests.AssertClose(output.Logits, all, 1e-5, "every position");
        var last = model.Logits(hidden.select(1, -1));                               // (B, V)
        ReferenceParityTests.AssertClose(output.Logits.select(1, -1), last, 1e-5, "last rows");
        ReferenceParityTests.AssertClose(output.Logits.select(1, -1), model.NextTokenLogits(c.InputTensor(), c.MaskTensor()), 1e-5, "NextTokenLogits");
    }
}
