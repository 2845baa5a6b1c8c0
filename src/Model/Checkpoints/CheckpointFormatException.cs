namespace ModuleService.Model.Checkpoints;

/// <summary>
/// A checkpoint file or folder that cannot be read as a ModuleFormer checkpoint. The message always names the
/// file and, when known, the tensor and the absolute byte offset in the file, so a user can find the fault
/// without a debugger.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception; the message is composed from all parts.</summary>
    /// <param name="file">The file (or folder) at fault.</param>
    /// <param name="problem">What is wrong, in words.</param>
    /// <param name="tensorName">The tensor concerned, if any.</param>
    /// <param name="byteOffset">Absolute offset in <paramref name="file"/> where the problem lies, if known.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointFormatException(string file, string problem, string? tensorName = null, long? byteOffset = null, Exception? inner = null)
        : base(Compose(file, problem, tensorName, byteOffset), inner)
    {
        File = file;
        TensorName = tensorName;
        ByteOffset = byteOffset;
    }

    /// <summary>The file (or checkpoint folder) at fault.</summary>
    public string File { get; }

    /// <summary>The tensor concerned, or null for file-level problems.</summary>
    public string? TensorName { get; }

    /// <summary>Absolute byte offset in <see cref="File"/>, or null when the problem has no position.</summary>
    public long? ByteOffset { get; }

    static string Compose(string file, string problem, string? tensorName, long? byteOffset)
    {
        var where = file;
        if (tensorName is not null) where += $": tensor '{tensorName}'";
        if (byteOffset is not null) where += $" at byte offset {byteOffset}";
        return $"{where}: {problem}";
    }
}
