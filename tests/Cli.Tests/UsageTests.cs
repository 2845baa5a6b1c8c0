using Xunit;

namespace ModuleService.Cli.Tests;

/// <summary>Exit codes: 2 for a wrong command line, 1 for a missing or corrupt checkpoint, 0 for help.</summary>
public sealed class UsageTests
{
    public static TheoryData<string[]> BadCommandLines() => new(
        [],
        ["frobnicate"],
        ["score", "--checkpoint", "x"],                                        // --cases missing
        ["score", "--checkpoint", "x", "--cases", "y", "--bogus", "1"],
        ["score", "--checkpoint", "x", "--cases", "y", "--greedy-tokens", "many"],
        ["score", "--checkpoint", "x", "--cases", "y", "--greedy-tokens", "-1"],
        ["score", "--checkpoint", "x", "--cases", "y", "--dtype", "fp16"],
        ["score", "--checkpoint", "x", "--cases", "y", "stray"],
        ["score", "--checkpoint"],                                             // value missing
        ["score", "--checkpoint", "x", "--checkpoint", "y", "--cases", "z"],
        ["generate", "--checkpoint", "x"],
        ["generate", "--checkpoint", "x", "--prompt", "1", "--top-p", "0"],
        ["generate", "--checkpoint", "x", "--prompt", "1", "--temperature", "-1"],
        ["inspect"],
        ["inspect", "--checkpoint", "x", "--json=yes"],
        ["bench", "--config", "x", "--runs", "0"],
        ["bench", "--config", "x", "--threads", "two"],
        ["bench", "--config", "x", "--layers", "0"],
        ["bench", "--cfg", "x"]);

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public void WrongUsageExitsWith2AndExplainsOnStderr(string[] args)
    {
        var result = CliRun.App(args);
        Assert.Equal(2, result.ExitCode);
        Assert.NotEmpty(result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("score", "--help")]
    [InlineData("generate", "--help")]
    [InlineData("inspect", "-h")]
    [InlineData("bench", "--help")]
    [InlineData("help", "bench")]
    public void HelpGoesToStdoutWithExit0(params string[] args)
    {
        var result = CliRun.App(args);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage: modsvc", result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void MissingCheckpointExits1WithLoaderMessage()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"modsvc-missing-{Guid.NewGuid():N}");
        var cases = Path.Combine(CliRun.Fixture("reference-tiny"), "fixture.json");
        foreach (var args in new[]
                 {
                     new[] { "score", "--checkpoint", missing, "--cases", cases },
                     ["inspect", "--checkpoint", missing],
                     ["generate", "--checkpoint", missing, "--prompt", "1 2"],
                 })
        {
            var result = CliRun.App(args);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("config.json not found", result.Stderr);
            Assert.Empty(result.Stdout);
        }
    }

    [Fact]
    public void CorruptCheckpointExits1WithLoaderMessage()
    {
        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"modsvc-corrupt-{Guid.NewGuid():N}")).FullName;
        try
        {
            var source = CliRun.Fixture("reference-tiny");
            File.Copy(Path.Combine(source, "config.json"), Path.Combine(dir, "config.json"));
            var bytes = File.ReadAllBytes(Path.Combine(source, "model.safetensors"));
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes[..(bytes.Length / 2)]);    // truncated

            var score = CliRun.App("score", "--checkpoint", dir, "--cases", Path.Combine(source, "fixture.json"));
            Assert.Equal(1, score.ExitCode);
            Assert.Contains("model.safetensors", score.Stderr);
            Assert.Empty(score.Stdout);

            var inspect = CliRun.App("inspect", "--checkpoint", dir);
            Assert.Equal(1, inspect.ExitCode);
            Assert.Contains("model.safetensors", inspect.Stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void BadCasesFileExits1()
    {
        var cases = Path.Combine(Path.GetTempPath(), $"modsvc-badcases-{Guid.NewGuid():N}.json");
        File.WriteAllText(cases, """{"cases": [{"name": "ragged", "input_ids": [[1, 2], [3]]}]}""");
        try
        {
            var result = CliRun.App("score", "--checkpoint", CliRun.Fixture("reference-tiny"), "--cases", cases);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("ragged", result.Stderr);
        }
        finally { File.Delete(cases); }
    }
}
