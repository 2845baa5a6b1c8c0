using System.Diagnostics;
using System.Text;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Registry.Tests.Datasets;

public sealed class TmpPerf(PostgresFixture postgres, ITestOutputHelper output) : RegistryTestBase(postgres), IAsyncLifetime
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Datasets:MaxUploadBytes", "1000000000")];
    async Task IAsyncLifetime.InitializeAsync() { await InitializeAsync(); await DatasetTestSchema.EnsureAsync(Db); }
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync();

    [Fact]
    public async Task Perf()
    {
        var rnd = new Random(1);
        var words = Enumerable.Range(0, 5000).Select(i => new string((char)('a' + i % 26), 1 + i % 9) + i).ToArray();
        var sb = new StringBuilder();
        while (sb.Length < 200_000_000)
        {
            for (var l = 0; l < 8; l++) { for (var w = 0; w < 12; w++) sb.Append(words[rnd.Next(words.Length)]).Append(' '); sb.Append('\n'); }
            sb.Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        var sw = Stopwatch.StartNew();
        var (d, _) = await Get<ModuleService.Registry.Datasets.DatasetStore>().UploadAsync("perf", DatasetFormat.Text, new MemoryStream(bytes), false, Actor, default);
        output.WriteLine($"upload {bytes.Length / 1e6:F0} MB: {sw.Elapsed.TotalSeconds:F1}s docs {d.Documents}");
        sw.Restart();
        long n = 0;
        await foreach (var doc in Get<ModuleService.Registry.Datasets.DatasetStore>().ReadDocumentsAsync(d.Id, default)) n++;
        output.WriteLine($"read {n} docs: {sw.Elapsed.TotalSeconds:F1}s");
        sw.Restart();
        await using var tx = await Db.Database.BeginTransactionAsync();
        await Blobs.PutAsync(bytes.Reverse().ToArray(), default);
        output.WriteLine($"existing PutAsync(byte[]) same size: {sw.Elapsed.TotalSeconds:F1}s");
    }
}
