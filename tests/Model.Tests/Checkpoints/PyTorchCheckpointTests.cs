using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Checkpoints.CheckpointTestSupport;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

public sealed class PyTorchCheckpointTests
{
    public static TheoryData<string> FixtureNames() => new(Fixtures);

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Bin_LoadsBitIdenticalToSafetensors_IncludingInt8Masks(string fixture)
    {
        var fromBin = PyTorchCheckpointReader.Load(Path.Combine(FixtureDir(fixture), "pytorch_model.bin"));
        var fromSafetensors = SafetensorsReader.Load(Path.Combine(FixtureDir(fixture), "model.safetensors"));
        AssertSameTensors(fromSafetensors, fromBin);
        Assert.Equal(ScalarType.Int8, fromBin["transformer.h.0.attn.mask"].dtype);
        DisposeAll(fromBin.Values.Concat(fromSafetensors.Values));
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Bin_Int8MaskIsLowerTriangleIncludingDiagonal(string fixture)
    {
        var tensors = PyTorchCheckpointReader.Load(Path.Combine(FixtureDir(fixture), "pytorch_model.bin"));
        using (var scope = torch.NewDisposeScope())
        {
            foreach (var layer in new[] { 0, 1 })
            {
                var mask = tensors[ModuleFormerStateDict.MaskName(layer)];
                Assert.Equal(new long[] { 256, 256 }, mask.shape);
                var expected = torch.ones(256, 256, ScalarType.Int8).tril();
                Assert.True(BitwiseEqual(expected, mask));
                Assert.Equal(1, mask[5, 5].item<sbyte>());
                Assert.Equal(0, mask[5, 6].item<sbyte>());
                Assert.Equal(256 * 257 / 2, mask.sum(ScalarType.Int64).item<long>());
            }
        }
        DisposeAll(tensors.Values);
    }

    [Fact]
    public void NotAZip_ThrowsFormatExceptionNamingTheFile()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("pytorch_model.bin"), [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
        var e = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpointReader.Load(dir.File("pytorch_model.bin")));
        Assert.Contains(dir.File("pytorch_model.bin"), e.Message);
    }

    [Fact]
    public void TruncatedZip_ThrowsFormatExceptionNamingTheFile()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Path.Combine(FixtureDir("reference-tiny"), "pytorch_model.bin"));
        File.WriteAllBytes(dir.File("pytorch_model.bin"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpointReader.Load(dir.File("pytorch_model.bin")));
        Assert.Equal(dir.File("pytorch_model.bin"), e.File);
    }
}
