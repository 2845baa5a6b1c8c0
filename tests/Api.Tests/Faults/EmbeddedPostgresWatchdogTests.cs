using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModuleService.Api.Hosting;
using ModuleService.Api.Imports;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Hosting;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Faults;

/// <summary>
/// The one-machine install: the app runs its own PostgreSQL (no connection string). Its postmaster is killed with
/// SIGKILL; the app's watchdog starts it again on the same port and data directory, and requests recover without
/// restarting the app, with nothing lost.
/// </summary>
[Collection(ApiCollection.Name)]
[Trait("Suite", "faults")]
public sealed class EmbeddedPostgresWatchdogTests(ITestOutputHelper output)
{
    readonly string key = "bootstrap-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    [Fact]
    public async Task AKilledEmbeddedPostgres_IsStartedAgainByTheApp_AndRequestsRecoverWithDataIntact()
    {
        using var data = new TempDir("modsvc-embedded-");
        // Under root the cluster runs as the postgres user, who must be able to pass through the temp folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101);
        using var cache = new TempDir("modsvc-embedded-cache-");
        var postmasterPid = Path.Combine(data.Path, "postgres", "data", "postmaster.pid");
        try
        {
            await using var app = await AppProcess.StartAsync(null, key, cache.Path, output, new Dictionary<string, string>
            {
                ["ModuleService__DataDirectory"] = data.Path,
                ["ModuleService__EmbeddedPostgresWatchInterval"] = "00:00:01",
                ["ModuleService__Role"] = "api",
            });
            using var client = app.Client(key);
            var imported = await (await client.PostJsonAsync("/v1/imports", new { path = Checkpoints.Fixture(Checkpoints.Tiny), name = "tiny" }))
                .ShouldBeAsync<ImportResponse>(HttpStatusCode.Created);
            var (pid, port) = ReadPostmaster(postmasterPid);
            var connectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "modulesvc", Pooling = false }.ConnectionString;
            var before = await StoredData.CountAsync(connectionString);

            Process.GetProcessById(pid).Kill();
            var down = Stopwatch.StartNew();
            var statuses = new List<HttpStatusCode>();
            while (true)
            {
                using var timeout = new CancellationTokenSource(OutageProbe.Bound);
                var response = await client.GetAsync("/v1/assemblies/tiny/versions/latest", timeout.Token);
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.OK) break;
                await response.ShouldBeDatabaseUnavailableAsync("assembly while the embedded server is down");
                Assert.True(down.Elapsed < TimeSpan.FromSeconds(60), "requests did not recover within 60 s of the kill");
                await Task.Delay(200);
            }
            var (newPid, newPort) = ReadPostmaster(postmasterPid);
            output.WriteLine($"postmaster {pid} killed; requests answered {statuses.Count(s => s == HttpStatusCode.ServiceUnavailable)}× 503, " +
                $"then 200 after {down.Elapsed.TotalSeconds:F1} s; new postmaster {newPid} on port {newPort}");
            Assert.NotEqual(pid, newPid);
            Assert.Equal(port, newPort);
            Assert.Contains(app.Lines, l => l.Contains("Embedded PostgreSQL restarted", StringComparison.Ordinal));

            var after = await StoredData.CountAsync(connectionString);
            var (_, damaged) = await StoredData.CheckEveryBlobAsync(connectionString);
            SuiteReport.Record("faults", inputs: statuses.Count, faults: 1,
                errors: statuses.Count(s => s is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)),
                dataLost: damaged.Count + (after == before ? 0 : 1));
            Assert.Equal(before, after);
            var blobs = await StoredData.AssertEveryBlobMatchesItsHashAsync(connectionString);
            var detail = await (await client.GetAsync("/v1/assemblies/tiny/versions/1")).ShouldBeAsync<AssemblyDetail>(HttpStatusCode.OK);
            Assert.Equal(imported.ManifestHash, detail.Summary.ManifestHash);
            var served = await client.PostJsonAsync("/v1/completions", new { model = "tiny", prompt = new[] { 5, 6, 7 }, max_tokens = 4, temperature = 0 });
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            output.WriteLine($"{before} unchanged; {blobs} blobs match their sha256; the model is served");
        }
        finally
        {
            // The app was killed, so it could not stop its cluster.
            if (File.Exists(postmasterPid))
                await PostgresTools.Locate().RunAsync("pg_ctl", ["-D", Path.GetDirectoryName(postmasterPid)!, "-m", "immediate", "-w", "stop"],
                    TimeSpan.FromSeconds(30), CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("02:00:00")]
    public void AWatchIntervalOutsideItsRange_IsRejectedAtStart(string interval)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            { [$"{ModuleServiceOptions.SectionName}:{nameof(ModuleServiceOptions.EmbeddedPostgresWatchInterval)}"] = interval }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddModuleServiceHosting().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(nameof(ModuleServiceOptions.EmbeddedPostgresWatchInterval), error.Message);
    }

    /// <summary>postmaster.pid: line 1 the pid, line 4 the port.</summary>
    static (int Pid, int Port) ReadPostmaster(string pidFile)
    {
        var lines = File.ReadAllLines(pidFile);
        return (int.Parse(lines[0].Trim()), int.Parse(lines[3].Trim()));
    }
}
