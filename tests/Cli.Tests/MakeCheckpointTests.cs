using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Cli.Tests;

public sealed class MakeCheckpointTests
{
    [Fact]
    public void MakeCheckpoint_WritesALoadableRandomCheckpoint_ThatGenerateRuns()
    {
        var dir = Path.Combine(Path.GetTempPath(), "modsvc-make-" + Guid.NewGuid().ToString("N"));
        try
        {
            var made = CliRun.Command(MakeCheckpointCommand.Run, "--config", CliRun.BenchConfig("tiny.json"), "--out", dir,
                "--dtype", "bf16", "--layers", "1", "--seed", "3");
            Assert.Equal(ExitCodes.Ok, made.ExitCode);

            using var model = ModelCheckpoint.Load(dir, ScalarType.BFloat16);
            Assert.Equal(1, model.Config.Layers);
            var weights = model.state_dict();
            Assert.True(weights["transformer.h.0.ln_1.weight"].eq(1).all().ToBoolean());
            var std = weights["lm_head.weight"].to_type(ScalarType.Float32).std().ToDouble();
            Assert.InRange(std, 0.9 * model.Config.InitializerRange, 1.1 * model.Config.InitializerRange);

            var generated = CliRun.Command((a, o, e) => GenerateCommand.Run(a, o, e), "--checkpoint", dir, "--dtype", "bf16", "--prompt", "1 2 3",
                "--max-tokens", "2", "--temperature", "0");
            Assert.Equal(ExitCodes.Ok, generated.ExitCode);
            Assert.Matches(@"^(<\d+>){1,2}$", generated.Stdout.Trim());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
