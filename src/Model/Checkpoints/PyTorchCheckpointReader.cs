using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// Reads <c>pytorch_model.bin</c> files (zip-format <c>torch.save</c> of a state dict) through TorchSharp.PyBridge,
/// turning any of its failures into a <see cref="CheckpointFormatException"/> that names the file.
/// </summary>
public static class PyTorchCheckpointReader
{
    /// <summary>Loads every tensor of the state dict in <paramref name="path"/>; the caller owns the tensors.</summary>
    /// <exception cref="CheckpointFormatException">Not a zip-format torch.save state dict, or unreadable.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        Hashtable table;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: false);
        }
        catch (Exception e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not OutOfMemoryException)
        {
            // PyBridge reports problems as NotImplementedException, InvalidCastException, InvalidOperationException, ...
            throw new CheckpointFormatException(path, $"cannot read as a PyTorch zip state dict ({e.GetType().Name}: {e.Message})", inner: e);
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (DictionaryEntry item in table)
            {
                var name = item.Key as string
                    ?? throw new CheckpointFormatException(path, $"state dict key {item.Key} is not a string");
                if (item.Value is not Tensor tensor)
                    throw new CheckpointFormatException(path, $"state dict value is {item.Value?.GetType().Name ?? "null"}, not a tensor", name);
                // PyBridge rebuilds tensors with as_strided; downstream code (and our writer) wants plain layout.
                result.Add(name, tensor.is_contiguous() ? tensor : Contiguous(tensor));
            }
            return result;
        }
        catch
        {
            foreach (var value in table.Values) (value as IDisposable)?.Dispose();
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    static Tensor Contiguous(Tensor tensor)
    {
        var copy = tensor.contiguous();
        tensor.Dispose();
        return copy;
    }
}
