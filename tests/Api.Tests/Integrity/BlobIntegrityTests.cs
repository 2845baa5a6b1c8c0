using System.Net;
using System.Security.Cryptography;
using ModuleService.Api.Tests.Inference;
using ModuleService.Api.Tests.Support;
using Npgsql;
using Xunit;

namespace ModuleService.Api.Tests.Integrity;

/// <summary>The app on a database of its own, serving in fp32 so greedy tokens match the reference fixture.</summary>
public sealed class IntegrityFixture(PostgresFixture postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string?> FixtureSettings => new Dictionary<string, string?>
    {
        ["Inference:Dtype"] = "Fp32",
        ["Inference:Threads"] = "2",
    };
}

/// <summary>
/// Issue #8, integrity: every blob read is checked against its sha256. A damaged or missing cache file is
/// refetched from PostgreSQL and serves the same bytes; a damaged blob in PostgreSQL fails the request with a
/// problem naming the module and blob — never wrong weights — and leaves the rest of the registry served.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class BlobIntegrityTests(IntegrityFixture api) : IClassFixture<IntegrityFixture>
{
    [Fact]
    public async Task ACorruptOrDeletedCache_IsDetectedByHashAndRefetched_AndExportsTheSameBytes()
    {
        var name = ApiFixture.UniqueName("cached");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name);
        var expected = await ExportAsync(name);   // reads every blob, so the cache holds them all
        var files = CacheFiles();
        Assert.NotEmpty(files);

        for (var i = 0; i < files.Count; i++) Damage(files[i], i % 3);
        var afterDamage = await ExportAsync(name);
        Assert.Contains("does not match its sha256", api.Logs.Text);

        Directory.Delete(api.CacheDirectory, recursive: true);
        var afterDeletion = await ExportAsync(name);
        Assert.NotEmpty(CacheFiles());

        var embedding = (await api.GetAssemblyAsync(name)).Manifest.Embedding;
        Damage(CachePath(embedding.Sha256), 0);
        var weights = await api.Admin.GetByteArrayAsync($"/v1/module-versions/{embedding.VersionId}/weights");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(weights));
        int lost = (afterDamage.SequenceEqual(expected) ? 0 : 1) + (afterDeletion.SequenceEqual(expected) ? 0 : 1) + (sha256 == embedding.Sha256 ? 0 : 1);
        SuiteReport.Record("faults", inputs: 3, faults: files.Count + 2, errors: 0, lost);

        Assert.Equal(expected, afterDamage);
        Assert.Equal(expected, afterDeletion);
        Assert.Equal(embedding.Sha256, sha256);
    }

    [Fact]
    public async Task AfterTheCacheWasCorrupted_ACompletionServesTheReferenceWeights()
    {
        var name = ApiFixture.UniqueName("served");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name);
        await ExportAsync(name);
        var files = CacheFiles();
        for (var i = 0; i < files.Count; i++) Damage(files[i], i % 3);
        var c = ReferenceFixture.Case(Checkpoints.Tiny, "b1_t7");

        var response = await api.Admin.CompleteAsync(new { model = name, prompt = c.InputIds[0], max_tokens = c.NewIds[0].Length, temperature = 0, logprobs = 0 });

        var tokens = OpenAiHttp.TokenIds(response.Choice());
        SuiteReport.Record("faults", inputs: 1, faults: files.Count, errors: tokens.SequenceEqual(c.NewIds[0]) ? 0 : 1, dataLost: 0);
        Assert.Equal(c.NewIds[0], tokens);
    }

    [Theory]
    [InlineData("flipped byte", 11)]
    [InlineData("missing chunk", 12)]
    [InlineData("truncated chunk", 13)]
    public async Task ACorruptBlobInPostgres_Is503NamingTheModule_AndServesNothingFromIt(string damage, int seed)
    {
        // A checkpoint of its own per case: blobs are shared by content, and each case damages one.
        using var checkpoint = InferenceFixture.WriteChatCheckpoint(seed);
        var name = ApiFixture.UniqueName("damaged");
        await api.ImportAsync(checkpoint.Path, name);
        var manifest = (await api.GetAssemblyAsync(name)).Manifest;
        var victim = manifest.Layers[1].Mlp[^1];
        var intact = manifest.Layers[0].Shared;
        await DamageInDatabaseAsync(victim.Sha256, damage);
        var rows = await api.CountRowsAsync();

        var export = await (await api.Admin.GetAsync($"/v1/assemblies/{name}/versions/latest/export")).ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        var completion = await (await api.Admin.PostOpenAiAsync("/v1/completions", new { model = name, prompt = "hi", max_tokens = 2 }))
            .ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        var again = await (await api.Admin.PostOpenAiAsync("/v1/chat/completions",
            new { model = name, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2, stream = true }))
            .ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        var weights = await (await api.Admin.GetAsync($"/v1/module-versions/{victim.VersionId}/weights")).ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);

        foreach (var problem in new[] { export, completion, again })
        {
            Assert.Contains(victim.Module, problem.Target);
            Assert.Contains(victim.VersionId.ToString(), problem.Detail);
            Assert.Contains(victim.Sha256, problem.Detail);
        }
        Assert.Contains(victim.VersionId.ToString(), weights.Target);
        Assert.Equal("server_error", (string?)OpenAiHttp.OpenAiError(completion.Body)?["type"]);
        Assert.False(File.Exists(CachePath(victim.Sha256)), "a damaged blob must never reach the cache");
        Assert.Contains(victim.Sha256, api.Logs.Text);   // logged for the operator, as an error
        // The damaged blob is the fault injected, not a loss; lost is whatever else stopped being readable.
        var intactWeights = await api.Admin.GetAsync($"/v1/module-versions/{intact.VersionId}/weights");
        var intactSha256 = Convert.ToHexStringLower(SHA256.HashData(await intactWeights.Content.ReadAsByteArrayAsync()));
        var assembly = await api.Admin.GetAsync($"/v1/assemblies/{name}/versions/latest");
        var rowsAfter = await api.CountRowsAsync();
        int lost = (intactSha256 == intact.Sha256 ? 0 : 1) + (assembly.StatusCode == HttpStatusCode.OK ? 0 : 1) + (DatabaseState.Difference(rows, rowsAfter) is "" ? 0 : 1);
        SuiteReport.Record("faults", inputs: 4, faults: 1, errors: 0, lost);
        Assert.Equal(intact.Sha256, intactSha256);
        Assert.Equal(HttpStatusCode.OK, assembly.StatusCode);
        Assert.Equal(rows, rowsAfter);
        Assert.Equal(HttpStatusCode.OK, (await api.Admin.GetAsync("/healthz")).StatusCode);
    }

    async Task<byte[]> ExportAsync(string name)
    {
        var response = await api.Admin.GetAsync($"/v1/assemblies/{name}/versions/latest/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    List<string> CacheFiles() => Directory.Exists(api.CacheDirectory)
        ? [.. Directory.EnumerateFiles(api.CacheDirectory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))]
        : [];

    string CachePath(string sha256) => Path.Combine(api.CacheDirectory, sha256[..2], sha256);

    /// <summary>0: one byte flipped in the middle, 1: cut to half its length, 2: deleted.</summary>
    static void Damage(string file, int how)
    {
        switch (how)
        {
            case 0:
                var bytes = File.ReadAllBytes(file);
                bytes[bytes.Length / 2] ^= 0x40;
                File.WriteAllBytes(file, bytes);
                break;
            case 1:
                using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(stream.Length / 2);
                break;
            default:
                File.Delete(file);
                break;
        }
    }

    /// <summary>What only a superuser switching the immutability guard off could do; the registry must notice anyway.</summary>
    async Task DamageInDatabaseAsync(string sha256, string damage)
    {
        var change = damage switch
        {
            "flipped byte" => "UPDATE blob_chunks SET data = overlay(data placing '\\xff'::bytea from 100 for 1) WHERE blob_sha256 = @sha AND index = 0",
            "missing chunk" => "DELETE FROM blob_chunks WHERE blob_sha256 = @sha AND index = 0",
            "truncated chunk" => "UPDATE blob_chunks SET data = substring(data from 1 for 64) WHERE blob_sha256 = @sha AND index = 0",
            _ => throw new ArgumentException(damage),
        };
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"ALTER TABLE blob_chunks DISABLE TRIGGER blob_chunks_immutable; {change}; ALTER TABLE blob_chunks ENABLE TRIGGER blob_chunks_immutable;", connection);
        command.Parameters.AddWithValue("sha", sha256);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
