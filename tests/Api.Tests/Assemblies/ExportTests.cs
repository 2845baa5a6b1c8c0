using System.Formats.Tar;
using System.Net;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Api.Tests.Assemblies;

/// <summary>Issue 3's round trip: import a reference checkpoint, export it, and get the same model back.</summary>
[Collection(ApiCollection.Name)]
public sealed class ExportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData(Checkpoints.Tiny)]
    [InlineData(Checkpoints.MolmLike)]
    public async Task ImportThenExport_GivesBitIdenticalTensorsUnderReferenceNamesAndTheSameLogits(string fixture)
    {
        var name = ApiFixture.UniqueName("rt");
        await api.ImportAsync(Checkpoints.Fixture(fixture), name);
        using var exported = new TempDir("modsvc-apitest-export-");

        var response = await api.Admin.GetAsync($"/v1/assemblies/{name}/versions/latest/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-tar", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{name}-v1.tar", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        await using (var tar = await response.Content.ReadAsStreamAsync())
            await TarFile.ExtractToDirectoryAsync(tar, exported.Path, overwriteFiles: false);
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(exported.Path).Select(Path.GetFileName).Order());

        AssertBitIdenticalTensors(Checkpoints.Fixture(fixture), exported.Path);
        AssertSameConfig(Checkpoints.Fixture(fixture), exported.Path);
        AssertSameLogits(Checkpoints.Fixture(fixture), exported.Path);
    }

    [Fact]
    public async Task ExportOfAnUnknownAssembly_Is404ProblemNamingIt()
    {
        var problem = await (await api.Admin.GetAsync("/v1/assemblies/nobody/versions/latest/export")).ShouldBeProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal("nobody@latest", problem.Target);
    }

    [Fact]
    public async Task ExportOfAVersionThatIsNotANumber_Is422NamingTheVersion()
    {
        var name = ApiFixture.UniqueName("v");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name);

        var problem = await (await api.Admin.GetAsync($"/v1/assemblies/{name}/versions/first/export")).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Equal("version", problem.Target);
    }

    static void AssertBitIdenticalTensors(string originalFolder, string exportedFolder)
    {
        var expected = SafetensorsReader.Load(Path.Combine(originalFolder, CheckpointLoader.SafetensorsFile));
        var actual = SafetensorsReader.Load(Path.Combine(exportedFolder, CheckpointLoader.SafetensorsFile));
        try
        {
            // The reference names, buffers included, so a strict PyTorch load of the export works.
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            Assert.Contains("transformer.h.0.attn.mask", actual.Keys);
            Assert.Contains("transformer.h.1.attn.cum_weight", actual.Keys);
            foreach (var (key, tensor) in expected)
                Assert.True(Checkpoints.BitwiseEqual(tensor, actual[key]), $"tensor '{key}' differs ({tensor.dtype} vs {actual[key].dtype})");
        }
        finally
        {
            Checkpoints.DisposeAll(expected.Values.Concat(actual.Values));
        }
    }

    static void AssertSameConfig(string originalFolder, string exportedFolder)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(originalFolder, CheckpointLoader.ConfigFile)))!.AsObject();
        var actual = JsonNode.Parse(File.ReadAllText(Path.Combine(exportedFolder, CheckpointLoader.ConfigFile)))!.AsObject();
        foreach (var key in new[] { "model_type", "vocab_size", "n_layer", "n_embd", "n_head", "att_hidden", "ffd_hidden", "gating_size",
                     "n_att_experts", "n_mlp_experts", "k_att", "k_mlp", "block_size", "history_length", "activation_function", "id2label" })
            Assert.True(JsonNode.DeepEquals(expected[key], actual[key]), $"config key '{key}': {expected[key]?.ToJsonString()} vs {actual[key]?.ToJsonString()}");
    }

    static void AssertSameLogits(string originalFolder, string exportedFolder)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var original = ModelCheckpoint.Load(originalFolder);
        using var roundTripped = ModelCheckpoint.Load(exportedFolder);
        var random = new Random(20240603);
        var ids = Enumerable.Range(0, 2 * 12).Select(_ => (long)random.Next(original.Config.VocabSize)).ToArray();
        var inputIds = tensor(ids).reshape(2, 12);                      // (B, T)
        var expected = original.forward(inputIds).Logits;                // (B, T, V)
        var actual = roundTripped.forward(inputIds).Logits;
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(Checkpoints.BitwiseEqual(expected, actual), $"logits differ by up to {(expected - actual).abs().max().item<float>()}");
    }
}
