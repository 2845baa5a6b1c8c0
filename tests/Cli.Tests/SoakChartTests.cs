using Xunit;

namespace ModuleService.Cli.Tests;

/// <summary>soak-chart turns the RSS samples of a soak report (scripts/soak.sh --json) into a PNG.</summary>
public sealed class SoakChartTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("modsvc-soakchart-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ASoakReport_BecomesAPng()
    {
        var json = Path.Combine(folder, "soak.json");
        var png = Path.Combine(folder, "rss.png");
        File.WriteAllText(json, """{"rss": {"samples": [{"seconds": 0, "mib": 300.5}, {"seconds": 5, "mib": 410}, {"seconds": 10, "mib": 415.2}], "baselineSeconds": 5}}""");

        var result = CliRun.App("soak-chart", "--json", json, "--output", png);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
    }

    [Theory]
    [InlineData("""{"traffic": []}""")]
    [InlineData("""{"rss": {"samples": []}}""")]
    [InlineData("not json")]
    public void AnythingElse_Fails(string content)
    {
        var json = Path.Combine(folder, "other.json");
        File.WriteAllText(json, content);

        var result = CliRun.App("soak-chart", "--json", json, "--output", Path.Combine(folder, "x.png"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("soak-chart", result.Stderr);
        Assert.False(File.Exists(Path.Combine(folder, "x.png")));
    }
}
