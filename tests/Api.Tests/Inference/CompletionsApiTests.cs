using System.Net;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>The serving endpoints' behaviour: scopes, model list, expert masks, seeds, stop strings, streaming, chat, metrics.</summary>
[Collection(ApiCollection.Name)]
public sealed class CompletionsApiTests(InferenceFixture api) : IClassFixture<InferenceFixture>
{
    const string Tiny = InferenceFixture.TinyModel;
    const string Chat = InferenceFixture.ChatModel;
    static readonly long[] Prompt = [17, 301, 42, 5, 99, 250, 7];

    [Fact]
    public async Task ServingEndpoints_RequireTheInferScope()
    {
        var readOnly = await api.CreateKeyAsync("read-only", "read");
        var infer = await api.CreateKeyAsync("infer-only", "infer");
        var completion = new { model = Tiny, prompt = Prompt, max_tokens = 2 };
        var chat = new { model = Chat, messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 2 };

        foreach (var (key, status) in new[] { ((string?)null, HttpStatusCode.Unauthorized), (readOnly, HttpStatusCode.Forbidden), (infer, HttpStatusCode.OK) })
        {
            using var client = api.Client(key);
            Assert.Equal(status, (await client.GetAsync("/v1/models")).StatusCode);
            Assert.Equal(status, (await client.PostOpenAiAsync("/v1/completions", completion)).StatusCode);
            Assert.Equal(status, (await client.PostOpenAiAsync("/v1/chat/completions", chat)).StatusCode);
        }
        using var anonymous = api.Client();
        var problem = await (await anonymous.PostOpenAiAsync("/v1/completions", completion)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("authentication_error", (string?)OpenAiHttp.OpenAiError(problem.Body)?["type"]);
    }

    [Fact]
    public async Task Models_ListsNameAtVersion_AndName()
    {
        var list = JsonNode.Parse(await api.Admin.GetStringAsync("/v1/models"))!;

        Assert.Equal("list", (string?)list["object"]);
        var ids = list["data"]!.AsArray().Select(m => (string)m!["id"]!).ToList();
        foreach (var name in new[] { InferenceFixture.TinyModel, InferenceFixture.MolmModel, InferenceFixture.ChatModel })
        {
            Assert.Contains(name, ids);
            Assert.Contains($"{name}@1", ids);
        }
        var card = list["data"]!.AsArray().First(m => (string)m!["id"]! == $"{Tiny}@1")!;
        Assert.Equal(("model", api.Imported[Tiny].ManifestHash), ((string?)card["object"], (string?)card["system_fingerprint"]));
        // Both ids serve the same assembly.
        foreach (var id in new[] { Tiny, $"{Tiny}@1" })
            Assert.Equal($"{Tiny}@1", (string?)(await api.Admin.CompleteAsync(new { model = id, prompt = Prompt, max_tokens = 1 }))["model"]);
    }

    [Fact]
    public async Task ExcludingASelectedExpert_ChangesTheRouting_AndTheResponseListsTheRemainingExperts()
    {
        // The fixture's routing: the MLP expert layer 1 picks first for the case's last token, and one no token picks.
        var c = ReferenceFixture.Case(Checkpoints.Tiny, "b1_t7");
        int selected = c.Routing[1].Mlp[c.Length - 1][0];
        int never = Enumerable.Range(0, 8).First(e => c.Routing[1].Mlp.All(top => !top.Contains(e)));
        string hash = api.Imported[Tiny].ManifestHash;
        async Task<long[]> Layer1MlpSelections()
        {
            var metrics = await api.Admin.GetStringAsync("/metrics");
            return Enumerable.Range(0, 8).Select(e => (long)Counter(metrics,
                $"modsvc_expert_selections_total{{model=\"{hash}\",layer=\"1\",kind=\"mlp\",expert=\"{e}\"}}", orZero: true)).ToArray();
        }
        // Prompt scoring only (max_tokens 1: one forward over the prompt, whose routing the fixture records).
        Task<JsonObject> Score(object? modules) => api.Admin.CompleteAsync(new
        {
            model = Tiny, prompt = c.InputIds[0], echo = true, logprobs = 0, max_tokens = 1, temperature = 0, modules,
        });

        var s0 = await Layer1MlpSelections();
        var plain = await Score(null);
        var s1 = await Layer1MlpSelections();
        var excluded = await Score(new { exclude = new[] { $"layer1.mlp.expert{selected}" } });
        var s2 = await Layer1MlpSelections();

        // Routing, as the served traffic's expert counters see it: without the mask the expert takes tokens, with it
        // none, and every token still goes to k = 2 experts.
        Assert.True(s1[selected] > s0[selected], $"{s0[selected]} → {s1[selected]}");
        Assert.Equal(s1[selected], s2[selected]);
        Assert.Equal(s1.Sum() - s0.Sum(), s2.Sum() - s1.Sum());
        Assert.Equal(2L * c.Length, s1.Sum() - s0.Sum());

        Assert.Null(plain["modules"]);
        var modules = excluded["modules"]!;
        Assert.Equal([$"layer1.mlp.expert{selected}"], modules["excluded"]!.AsArray().Select(m => (string)m!));
        var layers = modules["layers"]!.AsArray();
        Assert.Equal([0, 1], layers.Select(l => (int)l!["layer"]!));
        Assert.Equal(Enumerable.Range(0, 8).Where(e => e != selected).Select(e => $"layer1.mlp.expert{e}"),
            layers[1]!["mlp"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(Enumerable.Range(0, 8).Select(e => $"layer0.mlp.expert{e}"), layers[0]!["mlp"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(Enumerable.Range(0, 4).Select(e => $"layer1.attn.expert{e}"), layers[1]!["attention"]!.AsArray().Select(m => (string)m!));

        // The last prompt token lost its first expert: its prediction moves.
        var before = OpenAiHttp.TokenLogprobs(plain.Choice());
        var after = OpenAiHttp.TokenLogprobs(excluded.Choice());
        Assert.True(Math.Abs(before[^1]!.Value - after[^1]!.Value) > 1e-3, $"{before[^1]} vs {after[^1]}");

        // Masking removes an expert from the router's softmax, as if the assembly lacked it: "include" the other
        // seven is the same selection as "exclude" the one, with the same numbers.
        var excludedUnused = await Score(new { exclude = new[] { $"layer1.mlp.expert{never}" } });
        var includedOthers = await Score(new { include = Enumerable.Range(0, 8).Where(e => e != never).Select(e => $"layer1.mlp.expert{e}").ToArray() });
        Assert.Equal(OpenAiHttp.TokenLogprobs(excludedUnused.Choice()), OpenAiHttp.TokenLogprobs(includedOthers.Choice()));
        Assert.Equal(excludedUnused["modules"]!["layers"]!.ToJsonString(), includedOthers["modules"]!["layers"]!.ToJsonString());
        Assert.Empty(includedOthers["modules"]!["excluded"]!.AsArray());
    }

    [Fact]
    public async Task NChoicesWithASeed_AreReproducible()
    {
        var request = new { model = Tiny, prompt = Prompt, n = 3, seed = 1234, temperature = 1.0, max_tokens = 12 };

        var first = await api.Admin.CompleteAsync(request);
        var second = await api.Admin.CompleteAsync(request);

        var texts = Enumerable.Range(0, 3).Select(i => first.Text(i)).ToList();
        Assert.Equal(texts, Enumerable.Range(0, 3).Select(i => second.Text(i)));
        Assert.True(texts.Distinct().Count() > 1, $"the choices should differ: {string.Join(" | ", texts)}");
        Assert.All(texts, t => Assert.Equal(12, OpenAiHttp.Ids(t).Length));
        Assert.Equal(36, (int)first["usage"]!["completion_tokens"]!);
        // Each choice is its own seeded stream: the same request streamed gives the same texts.
        var streamed = await api.Admin.StreamAsync(new { request.model, request.prompt, request.n, request.seed, request.temperature, request.max_tokens, stream = true });
        for (int i = 0; i < 3; i++)
            Assert.Equal(texts[i], string.Concat(streamed.SelectMany(ChoicesOf).Where(ch => (int)ch["index"]! == i).Select(ch => (string?)ch["text"])));
    }

    [Fact]
    public async Task StopStrings_TrimTheText()
    {
        var prompt = "The quick brown fox jumps over the lazy dog. Then";
        var full = await api.Admin.CompleteAsync(new { model = Chat, prompt, max_tokens = 32, temperature = 0 });
        var text = full.Text();
        Assert.True(text.Length >= 8, $"the greedy text is too short to cut: '{text}'");
        // A stop string taken from the middle of the greedy text; the answer ends before its first occurrence.
        var stop = text.Substring(text.Length / 2, 2);
        int cut = text.IndexOf(stop, StringComparison.Ordinal);
        Assert.True(cut > 0, $"'{stop}' occurs at the start of '{text}'");

        var stopped = await api.Admin.CompleteAsync(new { model = Chat, prompt, max_tokens = 32, temperature = 0, stop = new[] { "\u0001never", stop } });
        var streamed = await api.Admin.StreamAsync(new { model = Chat, prompt, max_tokens = 32, temperature = 0, stop, stream = true });

        Assert.Equal(text[..cut], stopped.Text());
        Assert.Equal("stop", (string?)stopped.Choice()["finish_reason"]);
        var chunks = streamed.SelectMany(ChoicesOf).ToList();
        Assert.Equal(text[..cut], string.Concat(chunks.Select(ch => (string?)ch["text"])));
        Assert.Equal("stop", (string?)chunks[^1]["finish_reason"]);
    }

    [Fact]
    public async Task Streaming_SendsChunksThatConcatenateToTheCompletion()
    {
        var request = new { model = Tiny, prompt = Prompt, max_tokens = 10, temperature = 0, echo = true, logprobs = 1 };

        var plain = await api.Admin.CompleteAsync(request);
        var chunks = await api.Admin.StreamAsync(new { request.model, request.prompt, request.max_tokens, request.temperature, request.echo, request.logprobs, stream = true });

        Assert.True(chunks.Count >= 11, $"{chunks.Count} chunks");
        Assert.All(chunks, chunk => Assert.Equal(("text_completion", $"{Tiny}@1"), ((string?)chunk["object"], (string?)chunk["model"])));
        Assert.Single(chunks.Select(chunk => (string?)chunk["id"]).Distinct());
        var choices = chunks.SelectMany(ChoicesOf).ToList();
        Assert.Equal(plain.Text(), string.Concat(choices.Select(ch => (string?)ch["text"])));
        Assert.Equal(OpenAiHttp.TokenIds(plain.Choice()),
            choices.SelectMany(ch => ch["logprobs"]?["tokens"]?.AsArray() ?? []).Select(t => OpenAiHttp.Ids((string)t!).Single()));
        Assert.Equal(["length"], choices.Select(ch => (string?)ch["finish_reason"]).Where(r => r is not null));
        Assert.Equal("length", (string?)choices[^1]["finish_reason"]);
    }

    /// <summary>Each chunk's logprobs belong to that chunk's text (the tokens of the id-only model render as their
    /// text), also while the engine produces tokens faster than the stream sends them.</summary>
    [Fact]
    public async Task StreamedLogprobs_StayWithTheirChunk_UnderLoad()
    {
        var streams = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            api.Admin.StreamAsync(new { model = Tiny, prompt = Prompt, max_tokens = 200, temperature = 1.0, seed = i, logprobs = 5, stream = true })));

        foreach (var chunks in streams)
        {
            var choices = chunks.SelectMany(ChoicesOf).ToList();
            Assert.All(choices, ch => Assert.Equal((string?)ch["text"] ?? "",
                string.Concat(ch["logprobs"]?["tokens"]?.AsArray().Select(t => (string?)t) ?? [])));
            Assert.All(choices, ch =>
            {
                var logprobs = ch["logprobs"];
                if (logprobs is null) return;
                int n = logprobs["tokens"]!.AsArray().Count;
                Assert.Equal((n, n, n), (logprobs["token_logprobs"]!.AsArray().Count, logprobs["top_logprobs"]!.AsArray().Count, logprobs["text_offset"]!.AsArray().Count));
            });
            Assert.NotNull(choices[^1]["finish_reason"]);
        }
    }

    [Fact]
    public async Task Chat_ReturnsAnAssistantMessage_AndTheStreamSaysTheSame()
    {
        var messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "What is a module?" } };

        var chat = await api.Admin.CompleteAsync(new { model = Chat, messages, max_tokens = 24, temperature = 0 }, "/v1/chat/completions");
        var chunks = await api.Admin.StreamAsync(new { model = Chat, messages, max_tokens = 24, temperature = 0, stream = true }, "/v1/chat/completions");

        Assert.Equal("chat.completion", (string?)chat["object"]);
        var choice = chat.Choice();
        Assert.Equal("assistant", (string?)choice["message"]!["role"]);
        var content = (string)choice["message"]!["content"]!;
        Assert.Equal(content.Trim(), content);
        Assert.Contains((string?)choice["finish_reason"], new[] { "stop", "length" });
        Assert.True((int)chat["usage"]!["completion_tokens"]! > 0);

        Assert.All(chunks, chunk => Assert.Equal("chat.completion.chunk", (string?)chunk["object"]));
        var deltas = chunks.SelectMany(ChoicesOf).ToList();
        Assert.Equal("assistant", (string?)deltas[0]["delta"]!["role"]);
        Assert.Equal(content, string.Concat(deltas.Select(d => (string?)d["delta"]!["content"])));
        Assert.Equal((string?)choice["finish_reason"], (string?)deltas[^1]["finish_reason"]);
    }

    /// <summary>A streamed chat reply concatenates to the non-streamed one (which is trimmed), however the model's
    /// whitespace falls across pieces.</summary>
    [Fact]
    public void StreamTrim_ConcatenatesToTheTrimmedText()
    {
        foreach (var pieces in new[] { new[] { " ", "\n", " Hi", " there", " \n", "", "x ", " " }, ["\n\n", "", " "], ["a", " b ", "\n"] })
        {
            var trim = new ModuleService.Api.Inference.StreamTrim();
            Assert.Equal(string.Concat(pieces).Trim(), string.Concat(pieces.Select(trim.Next)));
        }
    }

    [Fact]
    public async Task Metrics_CountRequestsAndTokens_AfterTraffic()
    {
        await api.Admin.CompleteAsync(new { model = Tiny, prompt = Prompt, max_tokens = 3 });

        var response = await api.Admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE modsvc_inference_requests_total counter", text);
        Assert.True(Counter(text, "modsvc_inference_requests_total{outcome=\"completed\"}") >= 1, text);
        Assert.True(Counter(text, "modsvc_inference_completion_tokens_total") >= 3, text);
        Assert.True(Counter(text, "modsvc_inference_prompt_tokens_total") >= Prompt.Length, text);
        Assert.True(Counter(text, "modsvc_inference_time_to_first_token_seconds_count") >= 1, text);
    }

    [Fact]
    public async Task ClosingAStream_CancelsTheRequest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            // Greedy: this prompt's continuation has no end-of-text within 1000 tokens.
            Content = System.Net.Http.Json.JsonContent.Create(new { model = Tiny, prompt = Prompt, max_tokens = 1000, temperature = 0, stream = true }),
        };
        double cancelledBefore = Counter(await api.Admin.GetStringAsync("/metrics"), "modsvc_inference_requests_total{outcome=\"cancelled\"}");
        using (var response = await api.Admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        string metrics;
        do
        {
            await Task.Delay(100);
            metrics = await api.Admin.GetStringAsync("/metrics");
        } while (!(Counter(metrics, "modsvc_inference_requests_total{outcome=\"cancelled\"}") > cancelledBefore
                   && Counter(metrics, "modsvc_inference_active_rows") == 0) && DateTime.UtcNow < deadline);
        // The engine dropped the row long before its 1000 tokens.
        Assert.True(Counter(metrics, "modsvc_inference_requests_total{outcome=\"cancelled\"}") > cancelledBefore, metrics);
        Assert.Equal(0, Counter(metrics, "modsvc_inference_active_rows"));
    }

    static IEnumerable<JsonObject> ChoicesOf(JsonObject chunk) => chunk["choices"]!.AsArray().Select(c => c!.AsObject());

    /// <summary>The value of a Prometheus sample line <c>name value</c>.</summary>
    internal static double Counter(string metrics, string sample, bool orZero = false)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal));
        if (line is null && orZero) return 0;
        Assert.True(line is not null, $"no sample {sample} in\n{metrics}");
        return double.Parse(line![(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
