using System.Buffers.Binary;
using System.Text;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

public sealed class SafetensorsCorruptionTests : IDisposable
{
    readonly TempDir dir = new();
    string FilePath => dir.File("bad.safetensors");

    public void Dispose() => dir.Dispose();

    void WriteRaw(string header, int dataBytes, ulong? declaredHeaderLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declaredHeaderLength ?? (ulong)json.Length);
        File.WriteAllBytes(FilePath, [.. prefix, .. json, .. new byte[dataBytes]]);
    }

    CheckpointFormatException Fails()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsReader.Load(FilePath));
        Assert.Equal(FilePath, e.File);
        Assert.Contains(FilePath, e.Message);
        return e;
    }

    static void AssertNames(CheckpointFormatException e, string tensor)
    {
        Assert.Equal(tensor, e.TensorName);
        Assert.Contains($"'{tensor}'", e.Message);
        Assert.NotNull(e.ByteOffset);
        Assert.Contains($"byte offset {e.ByteOffset}", e.Message);
    }

    [Fact]
    public void FileShorterThanLengthPrefix()
    {
        File.WriteAllBytes(FilePath, [1, 2, 3]);
        Assert.Equal(0, Fails().ByteOffset);
    }

    [Fact]
    public void HeaderLengthPastEndOfFile()
    {
        WriteRaw("{}", 0, declaredHeaderLength: 1000);
        var e = Fails();
        Assert.Equal(0, e.ByteOffset);
        Assert.Contains("header length 1000", e.Message);
    }

    [Fact]
    public void HeaderLengthAbsurd()
    {
        WriteRaw("{}", 0, declaredHeaderLength: 1UL << 40);
        Assert.Contains("absurd", Fails().Message);
    }

    [Fact]
    public void InvalidJson()
    {
        WriteRaw("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]", 4);
        var e = Fails();
        Assert.Contains("not valid JSON", e.Message);
        Assert.True(e.ByteOffset >= 8);
        Assert.Contains("byte offset", e.Message);
    }

    [Fact]
    public void UnknownDtype()
    {
        WriteRaw("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4);
        var e = Fails();
        AssertNames(e, "w");
        Assert.Contains("F8_E4M3", e.Message);
    }

    [Fact]
    public void NegativeDimension()
    {
        WriteRaw("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1, 4], \"data_offsets\": [0, 16]}}", 16);
        var e = Fails();
        AssertNames(e, "w");
        Assert.Contains("negative dimension -1", e.Message);
    }

    [Fact]
    public void ShapeDoesNotMatchByteRange()
    {
        WriteRaw("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 20);
        var e = Fails();
        AssertNames(e, "w");
        Assert.Contains("needs 24 bytes", e.Message);
    }

    [Fact]
    public void OffsetsPastEndOfFile()
    {
        WriteRaw("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"w\": {\"dtype\": \"F32\", \"shape\": [8], \"data_offsets\": [8, 40]}}", 16);
        var e = Fails();
        AssertNames(e, "w");
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void OverlappingRanges()
    {
        WriteRaw("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}, \"b\": {\"dtype\": \"I8\", \"shape\": [16], \"data_offsets\": [8, 24]}}", 24);
        var e = Fails();
        AssertNames(e, "b");
        Assert.Contains("overlap tensor 'a'", e.Message);
    }

    [Fact]
    public void DuplicateName()
    {
        WriteRaw("{\"w\": {\"dtype\": \"I8\", \"shape\": [1], \"data_offsets\": [0, 1]}, \"w\": {\"dtype\": \"I8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 2);
        Assert.Equal("w", Fails().TensorName);
    }

    [Fact]
    public void TruncatedFile()
    {
        using var a = torch.ones(64, dtype: ScalarType.Int8);
        using var b = torch.ones(16, dtype: ScalarType.Float32);
        SafetensorsWriter.Save(FilePath, new Dictionary<string, Tensor> { ["a.mask"] = a, ["b.weight"] = b });
        var bytes = File.ReadAllBytes(FilePath);
        File.WriteAllBytes(FilePath, bytes[..^10]);
        var e = Fails();
        AssertNames(e, "a.mask"); // laid out last (1-byte elements after 4-byte ones), so the cut hits it
        Assert.Contains("past the end", e.Message);
    }
}
