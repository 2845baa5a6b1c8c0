using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Checkpoints.CheckpointTestSupport;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

public sealed class SafetensorsRoundTripTests
{
    static Dictionary<string, Tensor> AllDtypes()
    {
        var f32 = torch.randn(3, 5);
        return new Dictionary<string, Tensor>
        {
            ["f32"] = f32,
            ["f32.nan"] = torch.tensor(new[] { float.NaN, float.NegativeInfinity, -0f, float.Epsilon }),
            ["bf16"] = torch.randn(4, 7).to_type(ScalarType.BFloat16),
            ["f16"] = torch.randn(2, 3, 2).to_type(ScalarType.Float16),
            ["f64"] = torch.randn(6, dtype: ScalarType.Float64),
            ["i8"] = torch.tensor(new sbyte[] { -128, -1, 0, 1, 127 }),
            ["u8"] = torch.tensor(new byte[] { 0, 1, 200, 255 }),
            ["i16"] = torch.tensor(new short[] { short.MinValue, -2, 3, short.MaxValue }),
            ["i32"] = torch.tensor(new[] { int.MinValue, 7, int.MaxValue }).reshape(3, 1),
            ["i64"] = torch.tensor(new[] { long.MinValue, 0L, long.MaxValue }),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["scalar"] = torch.tensor(3.5f),
            ["empty"] = torch.empty(0, 4),
            ["transposed"] = f32.t(), // non-contiguous input must be written in logical (row-major) order
        };
    }

    [Fact]
    public void WriteThenRead_IsBitIdentical_ForEveryDtype()
    {
        using var dir = new TempDir();
        var tensors = AllDtypes();
        SafetensorsWriter.Save(dir.File("all.safetensors"), tensors);
        var loaded = SafetensorsReader.Load(dir.File("all.safetensors"));
        AssertSameTensors(tensors, loaded);
        Assert.Equal(new long[] { 5, 3 }, loaded["transposed"].shape);
        Assert.Equal(-128, loaded["i8"][0].item<sbyte>());
        DisposeAll(tensors.Values.Concat(loaded.Values));
    }

    [Fact]
    public void Writer_IsDeterministic_AndWritesMetadataPaddingAndAlignment()
    {
        using var dir = new TempDir();
        var tensors = AllDtypes();
        SafetensorsWriter.Save(dir.File("a.safetensors"), tensors);
        SafetensorsWriter.Save(dir.File("b.safetensors"), tensors.Reverse().ToDictionary());
        var bytes = File.ReadAllBytes(dir.File("a.safetensors"));
        Assert.Equal(bytes, File.ReadAllBytes(dir.File("b.safetensors")));

        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());

        using var reader = SafetensorsReader.Open(dir.File("a.safetensors"));
        Assert.Equal("pt", reader.Metadata["format"]);
        foreach (var entry in reader.Entries.Values)
            Assert.Equal(0, (reader.DataStart + entry.Begin) % entry.ElementSize);
        Assert.Equal("BF16", reader.Entries["bf16"].DType);
        Assert.Equal("I8", reader.Entries["i8"].DType);
        DisposeAll(tensors.Values);
    }

    [Fact]
    public void Save_ReplacesExistingFile_AndLeavesNoTemporaries()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("x.safetensors"), "old");
        using var t = torch.arange(10, dtype: ScalarType.Int32);
        SafetensorsWriter.Save(dir.File("x.safetensors"), new Dictionary<string, Tensor> { ["t"] = t });
        Assert.Equal(["x.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        var loaded = SafetensorsReader.Load(dir.File("x.safetensors"));
        Assert.True(BitwiseEqual(t, loaded["t"]));
        DisposeAll(loaded.Values);
    }

    [Fact]
    public void Writer_RejectsReservedNameAndUnsupportedDtype_WithoutCreatingTheFile()
    {
        using var dir = new TempDir();
        using var t = torch.zeros(2);
        using var complex = torch.zeros(2, dtype: ScalarType.ComplexFloat32);
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(dir.File("m.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = t }));
        var e = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(dir.File("c.safetensors"), new Dictionary<string, Tensor> { ["cplx"] = complex }));
        Assert.Contains("cplx", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void FixtureFile_ReadsWithReferenceMetadataAndDtypes(string fixture)
    {
        using var reader = SafetensorsReader.Open(Path.Combine(FixtureDir(fixture), "model.safetensors"));
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal("I8", reader.Entries["transformer.h.0.attn.mask"].DType);
        Assert.Equal("F32", reader.Entries["lm_head.weight"].DType);
        using var mask = reader.ReadTensor("transformer.h.1.attn.mask");
        Assert.Equal(ScalarType.Int8, mask.dtype);
    }

    public static TheoryData<string> FixtureNames() => new(Fixtures);
}
