using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
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
        output.WriteLine($"{targets.Count} endpoints, {ordered.Sum(r => r.Inputs)} inputs, {ordered.Sum(r => r.Failures.Count)} failures, {clock.Elapsed.TotalSeconds:F1} s");
        var failures = ordered.SelectMany(r => r.Failures).ToList();
        foreach (var failure in failures.Take(200)) output.WriteLine(failure);
        foreach (var error in newErrors.Select(e => FuzzInput.Abbreviate(e, 400)).Distinct().Take(40)) output.WriteLine("logged: " + error);

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers, e.g.:\n{string.Join('\n', failures.Take(30))}");
        Assert.True(DatabaseState.Difference(before, after) is "", $"bad input wrote: {DatabaseState.Difference(before, after)}");
        Assert.True(newErrors.Count == 0, $"errors logged:\n{string.Join('\n', newErrors.Take(5).Select(e => FuzzInput.Abbreviate(e, 600)))}");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        foreach (var secret in api.Secrets) Assert.DoesNotContain(secret, api.Logs.Text);
    }

    sealed record TargetResult(FuzzTarget Target, int Inputs, List<string> Failures);

    async Task<TargetResult> FuzzAsync(FuzzTarget target, IReadOnlyDictionary<(string, string), string> real)
    {
        Overrides.TryGetValue(target.ToString(), out var bodyOverride);
        var failures = new List<string>();
        using var client = api.Client(api.BootstrapKey);
        var nothing = FuzzPlan.For(target, p => p.IsGuid ? FuzzValues.NoId.ToString() : p.Name == "version" ? "1" : FuzzValues.Nobody,
            bodyOverride, realTargets: false);
        var resource = target.Template.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "";
        var existing = target.Route.Count > 0 && target.Route.All(p => real.ContainsKey((resource, p.Name)))
            ? FuzzPlan.For(target, p => real[(resource, p.Name)], bodyOverride, realTargets: true)
            : [];
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

    /// <summary>Things that exist, so that the second pass reaches the code behind the lookups.</summary>
    async Task<IReadOnlyDictionary<(string, string), string>> RealTargetsAsync()
    {
        var assembly = ApiFixture.UniqueName("fuzz-real");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), assembly);
        var version = (await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions?limit=1")).Items[0];
        var family = (await api.GetAsync<JsonObject>("/v1/families"))["items"]![0]!["name"]!.GetValue<string>();
        using var dataset = new ByteArrayContent("{\"text\": \"fuzz\"}\n"u8.ToArray());
        var uploaded = await (await api.Admin.PostAsync("/v1/datasets?name=fuzz-real&format=jsonl", dataset)).ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        return new Dictionary<(string, string), string>
        {
            [("assemblies", "name")] = assembly,
            [("assemblies", "version")] = "1",
            [("families", "key")] = family,
            [("modules", "id")] = version.ModuleId.ToString(),
            [("modules", "version")] = "1",
            [("module-versions", "id")] = version.Id.ToString(),
            [("datasets", "id")] = uploaded["id"]!.GetValue<string>(),
        };
    }

    List<string> ErrorLogs() => api.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
}
