using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace ModuleService.Cli.Tests;

public sealed class GenerateTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GreedyGenerateWithIdPromptMatchesFixture(bool bracketed)
    {
        var dir = CliRun.Fixture("reference-tiny-molmlike");
        using var fixture = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "fixture.json")));
        var c = fixture.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "b1_t7");
        var prompt = c.GetProperty("input_ids")[0].EnumerateArray().Select(v => v.GetInt64()).ToList();
        var expected = c.GetProperty("greedy").GetProperty("new_ids")[0].EnumerateArray().Select(v => v.GetInt64()).ToList();
        var promptText = bracketed ? string.Concat(prompt.Select(id => $"<{id}>")) : string.Join(' ', prompt);

        var result = CliRun.Command((a, o, e) => GenerateCommand.Run(a, o, e), "--checkpoint", dir, "--prompt", promptText,
            "--max-tokens", expected.Count.ToString(), "--temperature", "0");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var ids = Regex.Matches(result.Stdout, @"<(\d+)>").Select(m => long.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(expected, ids);
        Assert.Equal(string.Concat(expected.Select(id => $"<{id}>")) + Environment.NewLine, result.Stdout);
    }

    [Fact]
    public void SeededSamplingIsRepeatable()
    {
        string[] args = ["--checkpoint", CliRun.Fixture("reference-tiny"), "--prompt", "5 6 7", "--max-tokens", "12", "--temperature", "1", "--top-p", "0.9", "--seed", "42"];
        var first = CliRun.Command((a, o, e) => GenerateCommand.Run(a, o, e), args);
        var second = CliRun.Command((a, o, e) => GenerateCommand.Run(a, o, e), args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal(first.Stdout, second.Stdout);
    }

    [Fact]
    public void NonIdPromptForIdCheckpointExits1()
    {
        var result = CliRun.Command((a, o, e) => GenerateCommand.Run(a, o, e), "--checkpoint", CliRun.Fixture("reference-tiny"), "--prompt", "hello world");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("token ids", result.Stderr);
    }
}

/// <summary>A checkpoint that names a real tokenizer: text in, streamed text out.</summary>
public sealed class TokenizerCheckpointTests
{
    [Fact]
    public void GenerateStreamsTextWithTheConfiguredTokenizer()
    {
        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"modsvc-k1024-{Guid.NewGuid():N}")).FullName;
        try
        {
            var config = ModuleService.Model.ModuleFormerConfig.Load(CliRun.BenchConfig("tiny.json")) with
            {
                VocabSize = ModuleService.Model.Tokenizers.TinyK1024Tokenizer.Size,
                Tokenizer = ModuleService.Model.Tokenizers.TinyK1024Tokenizer.TokenizerName,
                BosTokenId = ModuleService.Model.Tokenizers.TinyK1024Tokenizer.EndOfText,
                EosTokenId = ModuleService.Model.Tokenizers.TinyK1024Tokenizer.EndOfText,
            };
            using (var model = new ModuleService.Model.Architecture.ModuleFormerForCausalLM(config))
            {
                model.InitializeWeights(7);
                ModuleService.Model.Checkpoints.CheckpointWriter.Save(dir, config, model.state_dict());
            }

            var result = CliRun.Command((a, o, e) => GenerateCommand.Run(a, o, e), "--checkpoint", dir, "--prompt", "Once upon a time",
                "--max-tokens", "8", "--temperature", "0");
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("tokenizer tiny-k1024", result.Stderr);
            Assert.DoesNotContain("<", result.Stdout.Replace("<|endoftext|>", ""));         // text, not ids

            var inspect = CliRun.Command(InspectCommand.Run, "--checkpoint", dir, "--json");
            Assert.True(inspect.ExitCode == 0, inspect.Stderr);
            Assert.Contains("\"tokenizer\":\"tiny-k1024\"", inspect.Stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
