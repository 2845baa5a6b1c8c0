using System.Formats.Tar;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Registry.Tests;

public sealed class ExportTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    [Theory]
    [InlineData(Checkpoints.Tiny)]
    [InlineData(Checkpoints.MolmLike)]
    public async Task ExportedTar_HoldsBitIdenticalTensorsAndGivesTheSameLogits(string fixture)
    {
        using var source = Checkpoints.Copy(fixture);
        using var tar = Checkpoints.Tar(source.Path);
        var name = UniqueName("rt");
        await Importer.ImportTarAsync(tar, name, Actor, default);
        using var exported = new TempDir("modsvc-export-test-");

        await ExportAsync(new AssemblyRef(name), exported.Path);

        var expected = SafetensorsReader.Load(Path.Combine(Checkpoints.Fixture(fixture), "model.safetensors"));
        var actual = SafetensorsReader.Load(exported.File("model.safetensors"));
        try
        {
            // Buffers included: the export must load strictly in the reference PyTorch code.
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, tensor) in expected)
                Assert.True(Checkpoints.BitwiseEqual(tensor, actual[key]), $"tensor '{key}' differs");
        }
        finally
        {
            Checkpoints.DisposeAll(expected.Values.Concat(actual.Values));
        }
        var config = ModuleFormerConfig.Load(exported.File("config.json"));
        Assert.Equal((4, 8, 2, 2), (config.AttentionExperts, config.MlpExperts, config.AttentionTopK, config.MlpTopK));
        Assert.True(config.Extra?.ContainsKey("id2label"), "unmodelled config keys are kept");
        AssertSameLogits(Checkpoints.Fixture(fixture), exported.Path);
    }

    [Fact]
    public async Task Export_WritesTokenizerFilesStoredWithTheFamily()
    {
        using var source = Checkpoints.Copy(Checkpoints.Tiny);
        await File.WriteAllTextAsync(source.File("vocab.json"), "{\"a\": 0, \"b\": 1}");
        await File.WriteAllTextAsync(source.File("tokenizer_config.json"), "{\"model_max_length\": 128}");
        var name = UniqueName("tok");
        await Importer.ImportFolderAsync(source.Path, name, Actor, default);
        using var exported = new TempDir("modsvc-export-test-");

        var files = await ExportAsync(new AssemblyRef(name, "1"), exported.Path);

        Assert.Equal(["config.json", "model.safetensors", "tokenizer_config.json", "vocab.json"], files);
        Assert.Equal(await File.ReadAllBytesAsync(source.File("vocab.json")), await File.ReadAllBytesAsync(exported.File("vocab.json")));
        var family = await Catalog.GetFamilyAsync((await Assemblies.GetAsync(new AssemblyRef(name), default)).FamilyName, default);
        Assert.Equal(2, family.TokenizerFiles.Count);
    }

    [Fact]
    public async Task ExportTwice_GivesIdenticalBytes()
    {
        var name = UniqueName("det");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        using var first = new MemoryStream();
        using var second = new MemoryStream();
        await Assemblies.ExportTarAsync(new AssemblyRef(name), first, default);
        await Assemblies.ExportTarAsync(new AssemblyRef(name), second, default);
        Assert.Equal(first.ToArray(), second.ToArray());
    }

    /// <summary>Exports and unpacks; returns the entry names in tar order.</summary>
    async Task<List<string>> ExportAsync(AssemblyRef target, string folder)
    {
        using var tar = new MemoryStream();
        await Assemblies.ExportTarAsync(target, tar, default);
        tar.Position = 0;
        var names = new List<string>();
        await using (var reader = new TarReader(tar, leaveOpen: true))
            while (await reader.GetNextEntryAsync() is { } entry) names.Add(entry.Name);
        tar.Position = 0;
        await TarFile.ExtractToDirectoryAsync(tar, folder, overwriteFiles: false);
        return names;
    }

    static void AssertSameLogits(string originalFolder, string exportedFolder)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var original = ModelCheckpoint.Load(originalFolder);
        using var roundTripped = ModelCheckpoint.Load(exportedFolder);
        var inputIds = tensor(new long[] { 1, 17, 300, 42, 7, 511, 0, 99, 256, 3 }).reshape(1, -1);   // (B, T)
        var expected = original.forward(inputIds).Logits;                                              // (B, T, V)
        var actual = roundTripped.forward(inputIds).Logits;
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(Checkpoints.BitwiseEqual(expected, actual),
            $"logits differ by up to {(expected - actual).abs().max().item<float>()}");
    }
}
