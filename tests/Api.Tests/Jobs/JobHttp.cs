using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry.Assemblies;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>What job tests do over HTTP: upload the tiny corpora, submit jobs and poll them; the tiny model config.</summary>
internal static class JobHttp
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);

    internal static readonly object TinyConfig = new Dictionary<string, object>
    {
        ["model_type"] = "moduleformer", ["vocab_size"] = 1088, ["n_embd"] = 32, ["n_layer"] = 2, ["n_head"] = 1,
        ["att_hidden"] = 32, ["ffd_hidden"] = 32, ["n_att_experts"] = 2, ["k_att"] = 1, ["n_mlp_experts"] = 4, ["k_mlp"] = 2,
        ["gating_size"] = 8, ["block_size"] = 64, ["history_length"] = 64, ["modsvc_tokenizer"] = "tiny-k1024",
    };

    internal static HashSet<Guid> VersionIds(Manifest manifest) =>
        [manifest.Embedding.VersionId, manifest.Head.VersionId,
         .. manifest.Layers.SelectMany(l => new[] { l.Shared }.Concat(l.Attention).Concat(l.Mlp)).Select(e => e.VersionId)];

    /// <summary>Rows in job_runs, to prove that a refused submission queued nothing.</summary>
    internal static async Task<long> CountJobsAsync(ApiFixture api)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM job_runs", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task<string> UploadAsync(HttpClient client, string name, string text)
    {
        var response = await client.PostAsync($"/v1/datasets?name={name}&format=text", new StringContent(text, Encoding.UTF8, "text/plain"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(40L, (long)body["documents"]!);
        return (string)body["name"]!;
    }

    internal static async Task<JsonObject> SubmitAsync(HttpClient client, object body)
    {
        var response = await client.PostJsonAsync("/v1/jobs", body);
        var job = await response.ShouldBeAsync<JsonObject>(HttpStatusCode.Accepted);
        Assert.Equal($"/v1/jobs/{(string)job["id"]!}", response.Headers.Location?.OriginalString);
        Assert.Equal("queued", (string)job["status"]!);
        return job;
    }

    /// <summary>Polls the job until it reaches <paramref name="status"/>; fails at once (with error and events) if it ends otherwise.</summary>
    internal static async Task<JsonObject> WaitAsync(HttpClient client, JsonObject submitted, string status, ITestOutputHelper output,
        TimeSpan? timeout = null)
    {
        var id = (string)submitted["id"]!;
        var deadline = DateTime.UtcNow + (timeout ?? JobTimeout);
        while (true)
        {
            var job = JsonNode.Parse(await client.GetStringAsync($"/v1/jobs/{id}"))!.AsObject();
            var current = (string)job["status"]!;
            if (current == status) return job;
            bool ended = current is "succeeded" or "failed" or "cancelled";
            if (ended || DateTime.UtcNow > deadline)
            {
                var events = await client.GetStringAsync($"/v1/jobs/{id}/events");
                output.WriteLine($"job {id} ({(string)job["type"]!}): {job.ToJsonString()}\nevents: {events}");
                Assert.Fail($"job {id} ({(string)job["type"]!}) is {current}, expected {status}; error: {(string?)job["error"]}; events: {events}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>The events of a <c>/v1/jobs/{id}/events</c> answer (an array or a page with items).</summary>
    internal static IEnumerable<JsonNode> Items(JsonNode events) =>
        (events as JsonArray ?? events["items"]!.AsArray()).Select(e => e!);

    internal static async Task<List<JsonNode>> EventsAsync(HttpClient client, string id) =>
        Items(JsonNode.Parse(await client.GetStringAsync($"/v1/jobs/{id}/events?limit=1000"))!).ToList();

    /// <summary>Waits for the job's first checkpoint and returns its step.</summary>
    internal static async Task<long> WaitForCheckpointAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var checkpoint = (await EventsAsync(client, id)).LastOrDefault(e => (string)e["kind"]! == "checkpoint");
            if (checkpoint is not null) return checkpoint["data"]!["step"]!.GetValue<long>();
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} wrote no checkpoint within 90 s");
    }

    /// <summary>40 English-like documents of 2–4 sentences (deterministic).</summary>
    internal static string EnglishCorpus()
    {
        string[] subjects = ["the cat", "a small dog", "the old man", "my sister", "the teacher", "a farmer", "the children", "our neighbour"];
        string[] verbs = ["walks to", "looks at", "talks about", "finds", "likes", "reads about", "waits for", "thinks of"];
        string[] objects = ["the river", "a green garden", "the market", "an old book", "the quiet house", "the morning light", "a long road", "the school"];
        var random = new Random(7);
        var docs = Enumerable.Range(0, 40).Select(_ => string.Join(" ", Enumerable.Range(0, random.Next(2, 5)).Select(_ =>
        {
            var s = $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]}.";
            return char.ToUpperInvariant(s[0]) + s[1..];
        })));
        return string.Join("\n\n", docs) + "\n";
    }

    /// <summary>40 code-like documents: digits, operators and brackets (deterministic).</summary>
    internal static string CodeCorpus()
    {
        var random = new Random(11);
        var docs = Enumerable.Range(0, 40).Select(d => string.Join("\n", Enumerable.Range(0, random.Next(2, 5)).Select(i =>
            $"x{random.Next(10)} = (y{random.Next(10)} + {random.Next(100)}) * [{random.Next(10)}, {random.Next(10)}]; // 0x{random.Next(256):x2} #{d}.{i}")));
        return string.Join("\n\n", docs) + "\n";
    }
}
