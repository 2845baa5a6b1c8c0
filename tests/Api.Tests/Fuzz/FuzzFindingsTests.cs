using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Fuzz;

/// <summary>
/// What <see cref="EndpointFuzzTests"/> found, one row per bug, so each fix keeps a test that names it: the
/// answer is a 4xx ProblemDetails naming the field or parameter at fault, and nothing is written.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class FuzzFindingsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    const string NoId = "0196f3c8-0000-7000-8000-00000000f022";
    const string TruncatedMultipart = "--fuzz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nabc";

    /// <summary>(method, url, content type, body, status, field named in target/errors).</summary>
    public static TheoryData<string, string, string?, string, int, string> Cases() => new()
    {
        // JSON bound by the framework: the problem named the handler's parameter ("CreateKeyRequest request"), not the field.
        { "POST", "/v1/keys", "application/json", """{"name": 5, "scopes": ["read"]}""", 400, "name" },
        { "POST", "/v1/assemblies", "application/json", """{"name": "x", "base": "y", "add": [{"moduleVersionId": "nope"}]}""", 400, "add[0].moduleVersionId" },
        { "POST", $"/v1/module-versions/{NoId}/stage", "application/json", """{"stage": "draft", "reason": 5}""", 400, "reason" },
        // A null scope was a NullReferenceException (500).
        { "POST", "/v1/keys", "application/json", """{"name": "x", "scopes": [null]}""", 400, "scopes" },
        { "POST", "/v1/keys", "application/json", """{"name": "x", "scopes": ["read", null]}""", 400, "scopes" },
        // A NUL character reached PostgreSQL, which cannot store or compare it: a 500.
        { "GET", "/v1/assemblies?name=%00", null, "", 400, "name" },
        { "GET", "/v1/audit?actor=a%00b", null, "", 400, "actor" },
        { "POST", "/v1/assemblies", "application/json", """{"name": "x", "base": "a\u0000b"}""", 400, "base" },
        { "POST", "/v1/completions", "application/json", """{"model": "a\u0000b", "prompt": [1]}""", 400, "model" },
        { "POST", "/v1/imports", "application/json", """{"name": "x", "path": "/tmp/a\u0000b"}""", 400, "path" },
        // Job parameters are stored as jsonb and read with GetString: a lone surrogate threw, a NUL failed in PostgreSQL.
        { "POST", "/v1/jobs", "application/json", """{"type": "\ud800x"}""", 400, "type" },
        { "POST", "/v1/jobs", "application/json", """{"type": "import", "path": "/tmp/a\u0000b", "name": "x"}""", 400, "path" },
        { "POST", "/v1/jobs", "application/json", """{"type": "import", "path": "/tmp", "name": "x", "notes": ["\udc00"]}""", 400, "notes[0]" },
        // Jobs paged without the registry's checks: OFFSET -1 reached PostgreSQL (500), limit -1 came back as the page's limit.
        { "GET", "/v1/jobs?offset=-1", null, "", 422, "offset" },
        { "GET", "/v1/jobs?limit=-1", null, "", 422, "limit" },
        { "GET", "/v1/jobs?limit=100000", null, "", 422, "limit" },
    };

    /// <summary>(url, content type, body, status): bodies the endpoint cannot read were a 500.</summary>
    public static TheoryData<string, string?, string, int> UnreadableBodies() => new()
    {
        { "/v1/keys", "application/json; charset=bogus", """{"name": "x", "scopes": ["read"]}""", 415 },
        { "/v1/assemblies/nobody/versions/1/stage", "application/json; charset=bogus", """{"stage": "draft"}""", 415 },
        { "/v1/imports", "application/json; charset=bogus", """{"name": "x", "path": "/tmp"}""", 415 },
        { "/v1/imports", null, """{"name": "x", "path": "/tmp"}""", 415 },
        { "/v1/imports", "multipart/form-data", "name=x", 400 },
        { "/v1/imports", "multipart/form-data; boundary=fuzz", TruncatedMultipart, 400 },
        { "/v1/imports", "multipart/form-data; boundary=fuzz", "not multipart at all", 400 },
        { "/v1/datasets?name=fuzz&format=text", "multipart/form-data; boundary=fuzz", TruncatedMultipart, 400 },
        { "/v1/datasets?name=fuzz&format=text", "multipart/form-data; boundary=fuzz", "not multipart at all", 400 },
    };

    /// <summary>(job type, parameter, JSON value): accepted with 202, the job then failed at run time or ignored the value.</summary>
    public static TheoryData<string, string, string> JobParameters() => new()
    {
        { "pretrain", "warmupSteps", "\"ten\"" },
        { "pretrain", "evalEvery", "-1" },
        { "pretrain", "evalTokens", "0" },
        { "pretrain", "logEvery", "0" },
        { "extend", "checkpointEvery", "-1" },
        { "extend", "validationDataset", "5" },
        { "extend", "promote", "\"yes\"" },
        { "prune", "sequenceLength", "1" },
        { "prune", "maxTokens", "0" },
        { "prune", "dryRun", "1" },
        // Jobs named assemblies by the registry's looser rule: names the API refuses, and cannot address, got created.
        { "import", "name", "\"has space\"" },
        { "import", "name", "\"a/b\"" },
        { "pretrain", "name", "\"x@1\"" },
        { "pretrain", "name", "\"-dash-first\"" },
    };

    [Theory]
    [MemberData(nameof(JobParameters))]
    public async Task AJobParameterTheJobCannotUse_Is400NamingIt_AndQueuesNothing(string type, string parameter, string value)
    {
        var body = JsonNode.Parse((await JobSubmissionAsync(type)).Body)!.AsObject();
        body[parameter] = JsonNode.Parse(value);
        var before = await DatabaseState.SnapshotAsync(api);

        var problem = await (await api.Admin.PostAsync("/v1/jobs", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json")))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(parameter, problem.Target);
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    [Fact]
    public async Task AJobBodyWithANameTwiceOrInAnotherCharsetThanDeclared_Is400_AndQueuesNothing()
    {
        var json = Encoding.UTF8.GetString((await JobSubmissionAsync("evaluate")).Body);
        var before = await DatabaseState.SnapshotAsync(api);
        using var twice = new StringContent("{\"type\": \"evaluate\", " + json[1..], Encoding.UTF8, "application/json");
        using var misdeclared = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        misdeclared.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-16");

        Assert.Contains("'type'", (await (await api.Admin.PostAsync("/v1/jobs", twice)).ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail);
        await (await api.Admin.PostAsync("/v1/jobs", misdeclared)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    /// <summary>A valid submission of the job type, on an assembly and a dataset that exist (both made idempotently).</summary>
    async Task<BodyOverride> JobSubmissionAsync(string type)
    {
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), "findings");
        using var dataset = new ByteArrayContent("{\"text\": \"findings\"}\n"u8.ToArray());
        Assert.True((await api.Admin.PostAsync("/v1/datasets?name=findings&format=jsonl", dataset)).IsSuccessStatusCode);
        return EndpointFuzzTests.JobSubmissions("findings", "findings")[type];
    }

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task AnUnreadableBody_Is4xxProblem_AndWritesNothing(string url, string? contentType, string body, int status)
    {
        var before = await DatabaseState.SnapshotAsync(api);
        using var content = new StringContent(body);
        content.Headers.Remove("Content-Type");
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        await (await api.Admin.PostAsync(url, content)).ShouldBeProblemAsync((HttpStatusCode)status);

        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Finding_Is4xxProblemNamingTheField_AndWritesNothing(string method, string url, string? contentType, string body, int status, string field)
    {
        var before = await DatabaseState.SnapshotAsync(api);
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method != "GET")
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }

        var problem = await (await api.Admin.SendAsync(request)).ShouldBeProblemAsync((HttpStatusCode)status);

        Assert.True(problem.Target == field || problem.Errors.ContainsKey(field), $"the problem does not name '{field}': {problem.Body}");
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }
}
