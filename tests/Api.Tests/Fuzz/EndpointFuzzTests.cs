using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry;
using ModuleService.Registry.Modules;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Fuzz;

/// <summary>
/// Issue #8, bad input on every endpoint: each endpoint the app maps gets malformed JSON, wrong types, huge and
/// negative numbers, empty and oversized strings, unknown fields, invalid ids and unreadable content types. The
/// answer must be a 4xx ProblemDetails (naming the field when a field had the wrong type), never a 5xx; nothing may
/// be written and the process must stay healthy.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class EndpointFuzzTests(ApiFixture api, ITestOutputHelper output) : IClassFixture<ApiFixture>
{
    /// <summary>Bodies the API explorer cannot describe (a raw stream, an untyped JSON object).</summary>
    static readonly Dictionary<string, BodyOverride> Overrides = new()
    {
        ["POST /v1/jobs"] = new("", """{"type": "fuzz-nobody"}"""u8.ToArray(), "application/json"),
        ["POST /v1/datasets"] = new("name=fuzz-dataset&format=jsonl", """{"text": 5}"""u8.ToArray(), "application/jsonl"),
    };

    [Fact]
    public async Task EveryEndpoint_AnswersBadInputWith4xxProblem_WritesNothing_AndStaysHealthy()
    {
        var real = await RealTargetsAsync();
        var targets = FuzzTargets.Discover(api.Factory.Services);
        Assert.True(targets.Count >= 40, $"only {targets.Count} endpoints discovered");
        var before = await DatabaseState.SnapshotAsync(api);
        var errorLogsBefore = ErrorLogs().Count;
        var clock = Stopwatch.StartNew();

        var results = new ConcurrentBag<TargetResult>();
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = 3 },
            async (target, _) => results.Add(await FuzzAsync(target, real)));

        var after = await DatabaseState.SnapshotAsync(api);
        var health = await api.Admin.GetAsync("/healthz");
        var ready = await api.Admin.GetAsync("/readyz");
        var newErrors = ErrorLogs().Skip(errorLogsBefore).ToList();
        var ordered = results.OrderBy(r => r.Target.Template, StringComparer.Ordinal).ThenBy(r => r.Target.Method).ToList();
        output.WriteLine($"{"endpoint",-62} {"inputs",7} {"failures",8}");
        foreach (var r in ordered) output.WriteLine($"{r.Target.ToString(),-62} {r.Inputs,7} {r.Failures.Count,8}");
        output.WriteLine($"{targets.Count} endpoints, {ordered.Sum(r => r.Inputs)} inputs, {ordered.Sum(r => r.Failures.Count)} failures, " +
                         $"{clock.Elapsed.TotalSeconds:F1} s");
        var failures = ordered.SelectMany(r => r.Failures).ToList();
        foreach (var failure in failures.Take(200)) output.WriteLine(failure);
        foreach (var error in newErrors.Select(e => FuzzInput.Abbreviate(e, 400)).Distinct().Take(40)) output.WriteLine("logged: " + error);

        // Bad input must not even write; a table with fewer rows afterwards would have lost data.
        var shrunk = before.Count(table => after.GetValueOrDefault(table.Key) < table.Value);
        SuiteReport.Record("fuzz", ordered.Sum(r => r.Inputs), faults: 0, failures.Count + newErrors.Count, shrunk);

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers, e.g.:\n{string.Join('\n', failures.Take(30))}");
        Assert.True(DatabaseState.Difference(before, after) is "", $"bad input wrote: {DatabaseState.Difference(before, after)}");
        Assert.True(newErrors.Count == 0, $"errors logged:\n{string.Join('\n', newErrors.Take(5).Select(e => FuzzInput.Abbreviate(e, 600)))}");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        foreach (var secret in api.Secrets) Assert.DoesNotContain(secret, api.Logs.Text);
    }

    sealed record TargetResult(FuzzTarget Target, int Inputs, List<string> Failures);

    async Task<TargetResult> FuzzAsync(FuzzTarget target, RealTargets real)
    {
        Overrides.TryGetValue(target.ToString(), out var bodyOverride);
        var failures = new List<string>();
        using var client = api.Client(api.BootstrapKey);
        var nothing = FuzzPlan.For(target, p => p.IsGuid ? FuzzValues.NoId.ToString() : p.Name == "version" ? "1" : FuzzValues.Nobody,
            bodyOverride, realTargets: false);
        var resource = target.Template.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "";
        var existing = target.Route.Count > 0 && target.Route.All(p => real.Route.ContainsKey((resource, p.Name)))
            ? FuzzPlan.For(target, p => real.Route[(resource, p.Name)], bodyOverride, realTargets: true)
            : [];
        if (target.ToString() == "POST /v1/jobs")
            existing = [.. real.Jobs.Values.SelectMany(job => FuzzPlan.For(target, _ => "", job, realTargets: true))];
        int? baselineStatus = null;
        foreach (var input in nothing.Concat(existing))
        {
            using var request = input.ToRequest();
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (input.Kind == "baseline") baselineStatus = status;
            if (Check(input, status, response.Content.Headers.ContentType?.MediaType, body, baselineStatus) is { } problem)
                failures.Add($"{input}: {problem}; got {status} {FuzzInput.Abbreviate(body, 300)}");
        }
        return new TargetResult(target, nothing.Count + existing.Count, failures);
    }

    static string? Check(FuzzInput input, int status, string? mediaType, string body, int? baselineStatus)
    {
        if (status >= 500) return "a server error";
        if (input.Expect != Expectation.Tolerated && status < 400) return "not a 4xx";
        if (input.Expect == Expectation.Tolerated && baselineStatus >= 400 && status < 400) return "junk turned a failing request into a success";
        if (status < 400) return null;
        if (mediaType != "application/problem+json") return $"not ProblemDetails ({mediaType ?? "no content type"})";
        JsonObject problem;
        try { problem = JsonNode.Parse(body)!.AsObject(); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { return "an unreadable problem body"; }
        if ((int?)problem["status"] != status || string.IsNullOrWhiteSpace((string?)problem["title"])) return "a problem without status or title";
        // add[0].layer → layer, scopes[0] → scopes: at least the property itself must be named.
        var leaf = System.Text.RegularExpressions.Regex.Replace(input.Field, @"\[\d+\]", "").Split('.')[^1];
        if (input.Expect == Expectation.NamesField && !body.Contains(leaf, StringComparison.OrdinalIgnoreCase))
            return "a problem that does not name the field";
        return null;
    }

    /// <summary>Route values and job submissions that refer to things that exist, so the second pass gets past the lookups.</summary>
    sealed record RealTargets(IReadOnlyDictionary<(string Resource, string Parameter), string> Route, IReadOnlyDictionary<string, BodyOverride> Jobs);

    async Task<RealTargets> RealTargetsAsync()
    {
        var assembly = ApiFixture.UniqueName("fuzz-real");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), assembly);
        var version = (await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions?limit=1")).Items[0];
        var family = (await api.GetAsync<JsonObject>("/v1/families"))["items"]![0]!["name"]!.GetValue<string>();
        using var dataset = new ByteArrayContent("{\"text\": \"fuzz\"}\n"u8.ToArray());
        var uploaded = await (await api.Admin.PostAsync("/v1/datasets?name=fuzz-real&format=jsonl", dataset)).ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        var route = new Dictionary<(string, string), string>
        {
            [("assemblies", "name")] = assembly,
            [("assemblies", "version")] = "1",
            [("families", "key")] = family,
            [("modules", "id")] = version.ModuleId.ToString(),
            [("modules", "version")] = "1",
            [("module-versions", "id")] = version.Id.ToString(),
            [("datasets", "id")] = uploaded["id"]!.GetValue<string>(),
        };
        return new RealTargets(route, JobSubmissions(assembly, "fuzz-real"));
    }

    /// <summary>
    /// One valid submission of every job type, every parameter set. The fuzzer never sends them as they are (that
    /// would start a job), only with one parameter made wrong; <see cref="BodyOverride.Legal"/> lists the
    /// extreme values that are in a parameter's domain.
    /// </summary>
    internal static Dictionary<string, BodyOverride> JobSubmissions(string assembly, string dataset)
    {
        using var checkpoint = Inference.InferenceFixture.WriteChatCheckpoint(seed: 3);
        var config = JsonNode.Parse(File.ReadAllText(checkpoint.File("config.json")));
        var training = new Dictionary<string, object?>
        {
            ["steps"] = 1, ["tokens"] = 1000, ["batchSize"] = 2, ["sequenceLength"] = 16, ["seed"] = 1, ["learningRate"] = 0.001,
            ["auxLossWeight"] = 0.01, ["loadConcentrationWeight"] = 0.1, ["warmupSteps"] = 1, ["evalEvery"] = 1, ["evalTokens"] = 64,
            ["logEvery"] = 1, ["checkpointEvery"] = 1, ["gradientCheckpointing"] = true,
        };
        string[] big = ["2147483647"], zeroOrBig = ["0", "2147483647"];
        var trainingLegal = new Dictionary<string, string[]>
        {
            ["seed"] = ["-1", "0", "-2147483648", "2147483647"], ["tokens"] = big, ["evalTokens"] = big, ["warmupSteps"] = zeroOrBig,
            ["evalEvery"] = zeroOrBig, ["logEvery"] = big, ["checkpointEvery"] = zeroOrBig, ["auxLossWeight"] = ["0"], ["loadConcentrationWeight"] = ["0"],
        };
        BodyOverride Job(Dictionary<string, object?> body, Dictionary<string, string[]> legal) =>
            new("", JsonSerializer.SerializeToUtf8Bytes(body), "application/json", legal);
        return new[]
        {
            Job(new() { ["type"] = "import", ["path"] = Checkpoints.Fixture(Checkpoints.Tiny), ["name"] = "fuzz-job-import" }, []),
            Job(new(training) { ["type"] = "pretrain", ["name"] = "fuzz-job-pretrain", ["dataset"] = dataset, ["config"] = config }, trainingLegal),
            Job(new(training)
            {
                ["type"] = "extend", ["assembly"] = assembly, ["dataset"] = dataset, ["newMlpExperts"] = 1, ["newAttentionExperts"] = 1,
                ["validationDataset"] = dataset, ["guardDatasets"] = new[] { dataset }, ["forgettingBudget"] = 0.5, ["promote"] = false,
            }, new(trainingLegal) { ["newMlpExperts"] = ["0"], ["newAttentionExperts"] = ["0"], ["forgettingBudget"] = ["0"], ["guardDatasets"] = ["[]"] }),
            Job(new()
            {
                ["type"] = "prune", ["assembly"] = assembly, ["dataset"] = dataset, ["keepMlpExperts"] = 4, ["dryRun"] = true,
                ["sequenceLength"] = 16, ["maxTokens"] = 64,
            }, new() { ["maxTokens"] = big }),
            Job(new() { ["type"] = "evaluate", ["assembly"] = assembly, ["datasets"] = new[] { dataset }, ["sequenceLength"] = 16, ["maxTokens"] = 64 },
                new() { ["maxTokens"] = big }),
        }.ToDictionary(job => JsonNode.Parse(job.Body)!["type"]!.GetValue<string>());
    }

    List<string> ErrorLogs() =>
        api.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
}
