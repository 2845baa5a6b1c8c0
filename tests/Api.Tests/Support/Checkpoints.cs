using System.Formats.Tar;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Api.Tests.Support;

/// <summary>The reference fixtures (copied from tests/Model.Tests/Fixtures) and variations of them.</summary>
internal static class Checkpoints
{
    public const string Tiny = "reference-tiny";
    public const string MolmLike = "reference-tiny-molmlike";

    /// <summary>Parts of a fixture: embedding, head, and per layer (2) one shared part, 4 attention and 8 MLP experts.</summary>
    public const int ModulesPerFixture = 2 + 2 * (1 + 4 + 8);

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>A writable copy of a fixture's config.json and model.safetensors (the 6 MB fixture.json stays behind).</summary>
    public static TempDir Copy(string fixture)
    {
        var dir = new TempDir("modsvc-apitest-ckpt-");
        foreach (var file in new[] { CheckpointLoader.ConfigFile, CheckpointLoader.SafetensorsFile })
            File.Copy(Path.Combine(Fixture(fixture), file), dir.File(file));
        return dir;
    }

    /// <summary>The folder as a tar with a top-level folder, as <c>tar -cf x.tar folder</c> makes it.</summary>
    public static byte[] Tar(string folder)
    {
        using var stream = new MemoryStream();
        TarFile.CreateFromDirectory(folder, stream, includeBaseDirectory: true);
        return stream.ToArray();
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
