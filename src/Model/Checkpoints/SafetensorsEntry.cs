using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>One tensor's entry in a safetensors header, already validated against the file.</summary>
/// <param name="Name">Tensor name (the header key).</param>
/// <param name="DType">The safetensors dtype name as written, e.g. <c>BF16</c>.</param>
/// <param name="ScalarType">The matching TorchSharp scalar type.</param>
/// <param name="ElementSize">Bytes per element.</param>
/// <param name="Shape">Dimensions (all non-negative); empty for a scalar.</param>
/// <param name="Begin">Start of the data, relative to the end of the header.</param>
/// <param name="End">End (exclusive) of the data, relative to the end of the header.</param>
public sealed record SafetensorsEntry(string Name, string DType, ScalarType ScalarType, int ElementSize, long[] Shape, long Begin, long End)
{
    /// <summary>Number of data bytes, <c>End - Begin</c>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long ElementCount => ByteLength / ElementSize;
}
