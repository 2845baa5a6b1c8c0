using System.Formats.Tar;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Registry.Tests.Support;

/// <summary>Copies and variations of the reference fixtures (tests/Model.Tests/Fixtures).</summary>
internal static class Checkpoints
{
    public const string Tiny = "reference-tiny";
    public const string MolmLike = "reference-tiny-molmlike";

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>A writable copy of a fixture's config.json and model.safetensors (the 6 MB fixture.json stays behind).</summary>
    public static TempDir Copy(string fixture)
    {
        var dir = new TempDir("modsvc-ckpt-");
        foreach (var file in new[] { CheckpointLoader.ConfigFile, CheckpointLoader.SafetensorsFile })
            File.Copy(Path.Combine(Fixture(fixture), file), dir.File(file));
        return dir;
    }

    /// <summary>Adds <paramref name="delta"/> to one slice (<c>tensor[index]</c>) of one tensor, e.g. one expert.</summary>
    public static void Perturb(string folder, string tensorName, long index, float delta = 0.5f)
    {
        var path = Path.Combine(folder, CheckpointLoader.SafetensorsFile);
        var tensors = SafetensorsReader.Load(path);
        try
        {
            using (no_grad())
            using (var slice = tensors[tensorName][index])
                slice.add_(delta);
            SafetensorsWriter.Save(path, tensors);
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <summary>The folder's files as a tar stream with a top-level folder, as <c>tar -cf x.tar folder</c> makes it.</summary>
    public static MemoryStream Tar(string folder)
    {
        var stream = new MemoryStream();
        TarFile.CreateFromDirectory(folder, stream, includeBaseDirectory: true);
        stream.Position = 0;
        return stream;
    }

    public static bool BitwiseEqual(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var scope = torch.NewDisposeScope();
        return a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);
    }

    public static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var tensor in tensors) tensor.Dispose();
    }
}
