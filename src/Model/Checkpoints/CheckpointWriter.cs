using System.Text;
using static TorchSharp.torch;

namespace ModuleService.Model.Checkpoints;

/// <summary>
/// Saves a ModuleFormer as a Hugging Face style folder (<c>config.json</c> + <c>model.safetensors</c>) with the
/// reference tensor names, loadable by the reference PyTorch code with <c>strict=True</c>.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>
    /// Validates and writes <paramref name="stateDict"/> and <paramref name="config"/> to <paramref name="directory"/>
    /// (created if needed; existing config.json / model.safetensors are replaced). Tensors keep their dtype.
    /// Both files are first written to temporaries and renamed only when both are complete, so a failed save
    /// leaves the folder as it was.
    /// </summary>
    /// <param name="directory">Target folder.</param>
    /// <param name="config">The configuration written as config.json.</param>
    /// <param name="stateDict">The parameters; buffers in it are ignored and regenerated.</param>
    /// <param name="includeBuffers">Write the per-layer <c>attn.mask</c> (int8) and <c>attn.cum_weight</c>
    /// (float32) buffers of size (history_length + block_size)², which a strict PyTorch load requires.</param>
    /// <exception cref="CheckpointFormatException">The state dict does not match the config.</exception>
    public static void Save(string directory, ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict, bool includeBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(stateDict);
        config.Validate();
        CheckpointLoader.Validate(config, stateDict);
        Directory.CreateDirectory(directory);

        var tensors = ModuleFormerStateDict.ExpectedShapes(config).Keys.ToDictionary(name => name, name => stateDict[name], StringComparer.Ordinal);
        Tensor? mask = null, cumWeight = null;
        var staged = new List<(string Temp, string Final)>();
        try
        {
            if (includeBuffers)
            {
                // Regenerated rather than copied: incoming buffers may be missing, dropped or of an old size.
                (mask, cumWeight) = ModuleFormerStateDict.CreateBuffers(config);
                for (int i = 0; i < config.Layers; i++)
                {
                    tensors[ModuleFormerStateDict.MaskName(i)] = mask;
                    tensors[ModuleFormerStateDict.CumWeightName(i)] = cumWeight;
                }
            }
            var modelPath = Path.Combine(directory, CheckpointLoader.SafetensorsFile);
            var configPath = Path.Combine(directory, CheckpointLoader.ConfigFile);
            staged.Add((FileIo.Stage(modelPath, s => SafetensorsWriter.Write(s, tensors)), modelPath));
            var json = Encoding.UTF8.GetBytes(config.ToJson());
            staged.Add((FileIo.Stage(configPath, s => s.Write(json)), configPath));
            // Both files are complete before either rename, so only a crash between two renames can mix versions.
            foreach (var (temp, final) in staged) FileIo.Commit(temp, final);
            staged.Clear();
        }
        finally
        {
            foreach (var (temp, _) in staged) FileIo.TryDelete(temp);
            mask?.Dispose();
            cumWeight?.Dispose();
        }
    }
}
