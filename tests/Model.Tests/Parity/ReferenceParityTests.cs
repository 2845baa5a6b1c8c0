using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary>The C# model against the outputs recorded by the original PyTorch implementation.</summary>
public sealed class ReferenceParityTests
{
    public static TheoryData<string, string> AllCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var fixture in ReferenceFixture.Names)
            foreach (var c in ReferenceFixture.Load(fixture).Cases) data.Add(fixture, c.Name);
        return data;
    }

    internal static ModuleFormerForCausalLM LoadModel(ReferenceFixture fixture)
    {
        return ModelCheckpoint.Load(fixture.Directory);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void FullForwardMatchesReference(string fixtureName, string caseName)
    {
        var fixture = ReferenceFixture.Load(fixtureName);
        var c = fixture.Cases.Single(x => x.Name == caseName);
        using var model = LoadModel(fixture);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();

        var output = model.forward(c.InputTensor(), c.MaskTensor(), outputHiddenStates: true);

        for (int i = 0; i < c.HiddenStates.Count; i++)
            AssertClose(c.HiddenStates[i].ToTensor(), output.HiddenStates![i], 1e-4, $"hidden state {i}");
        for (int layer = 0; layer < c.Routing.Count; layer++)
        {
            var (attnIdx, attnGates, mlpIdx, mlpGates) = c.Routing[layer];
            Assert.Equal(attnIdx, ToRows(output.Routing[layer].Attention.TopKIndices));
            Assert.Equal(mlpIdx, ToRows(output.Routing[layer].Mlp.TopKIndices));
            AssertClose(attnGates.ToTensor(), output.Routing[layer].Attention.TopKGates, 1e-5, $"layer {layer} attention gates");
            AssertClose(mlpGates.ToTensor(), output.Routing[layer].Mlp.TopKGates, 1e-5, $"layer {layer} mlp gates");
            Assert.Equal(c.AuxLossPerLayer[layer].Attn, RoutingLosses.MutualInformation(output.Routing[layer].Attention).item<float>(), 1e-5);
            Assert.Equal(c.AuxLossPerLayer[layer].Mlp, RoutingLosses.MutualInformation(output.Routing[layer].Mlp).item<float>(), 1e-5);
        }
        Assert.Equal(c.AuxLossTotal, output.AuxLoss(fixture.Config).item<float>(), 1e-5);
        AssertClose(c.Logits.ToTensor(), output.Logits, 1e-4, "logits");
        if (c.LmLoss is double expectedLoss)
        {
            var loss = LanguageModelLoss.CrossEntropy(output.Logits, c.InputTensor()).item<float>();
            Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss), $"lm loss {loss} vs {expectedLoss}");
        }
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual.to(ScalarType.Float32)).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"{what}: max |diff| {diff:G3} > {tolerance:G3}");
    }

    internal static long[][] ToRows(Tensor t)
    {
        var flat = t.to(ScalarType.Int64).data<long>().ToArray();
        long cols = t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(r => flat.Skip((int)(r * cols)).Take((int)cols).ToArray()).ToArray();
    }
}
