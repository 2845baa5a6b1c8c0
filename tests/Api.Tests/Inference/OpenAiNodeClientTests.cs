using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Inference;

/// <summary>
/// Issue acceptance: the official OpenAI client library for Node.js (npm <c>openai</c>, pinned in
/// tests/openai-client), pointed at the service, gets correct results for plain and streaming completions and chat
/// completions. The app listens on a real loopback port; tests/openai-client/check.mjs runs the client and checks
/// its results against the greedy texts this test gets through plain HTTP. Node.js and the client's node_modules
/// (installed by scripts/setup.sh) are required: their absence fails the test.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OpenAiNodeClientTests(LoopbackFixture api, ITestOutputHelper output) : IClassFixture<LoopbackFixture>
{
    const int MaxTokens = 12;
    static readonly long[] PromptIds = [464, 318, 257, 640, 286, 262, 995, 13];
    const string ChatText = "Say hello to the world.";

    [Fact]
    public async Task OfficialNodeClient_GetsCorrectCompletionsAndChatCompletions()
    {
        var root = RepositoryRoot();
        var clientDir = Path.Combine(root, "tests", "openai-client");
        Assert.True(File.Exists(Path.Combine(clientDir, "node_modules", "openai", "package.json")),
            $"the OpenAI Node.js client is not installed in {clientDir}/node_modules: run scripts/setup.sh (npm ci --prefix tests/openai-client)");

        var model = InferenceFixture.ChatModel;
        var key = await api.CreateKeyAsync("node-client", "infer");
        var completion = await api.Admin.CompleteAsync(new { model, prompt = PromptIds, max_tokens = MaxTokens, temperature = 0 });
        // check.mjs sends this system message before --chat.
        var messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = ChatText } };
        var chat = await api.Admin.CompleteAsync(new { model, messages, max_tokens = MaxTokens, temperature = 0 }, "/v1/chat/completions");
        var expectedText = completion.Text();
        var expectedChat = (string)chat.Choice()["message"]!["content"]!;

        var (exitCode, stdout, stderr) = await RunNodeAsync(clientDir, "check.mjs",
            "--base-url", new Uri(api.BaseAddress!, "/v1").ToString(), "--key", key, "--model", model,
            "--prompt-ids", string.Join(',', PromptIds), "--max-tokens", MaxTokens.ToString(),
            "--chat", ChatText, "--expect-completion", expectedText, "--expect-chat", expectedChat);

        output.WriteLine(stdout);
        Assert.True(exitCode == 0, $"check.mjs exited with {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        var report = JsonNode.Parse(stdout)!;
        Assert.True((bool)report["ok"]!, stdout);
        var checks = report["checks"]!.AsArray().Select(c => (string)c!["name"]!).ToList();
        Assert.Contains("completion: text equals the expected greedy text", checks);
        Assert.Contains("completion stream: concatenation equals the plain completion", checks);
        Assert.Contains("chat: content equals the expected greedy reply", checks);
        Assert.Contains("chat stream: concatenation equals the plain reply", checks);
    }

    /// <summary>The folder holding ModuleService.sln, found upwards from the test binaries.</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ModuleService.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no ModuleService.sln above {AppContext.BaseDirectory}");
    }

    static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string workingDirectory, string script, params string[] args)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try { process = Process.Start(start)!; }
        catch (Win32Exception e) { throw new InvalidOperationException("Node.js ('node') is required for this test and was not found on PATH", e); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"node {script} did not finish within 2 minutes\n{await stdout}\n{await stderr}");
            }
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
