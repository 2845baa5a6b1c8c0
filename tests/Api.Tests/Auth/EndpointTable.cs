using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ModuleService.Api.Tests.Auth;

/// <summary>One endpoint of the API: its method, route template, a callable URL and the scope it requires.</summary>
/// <param name="Scope">null for endpoints open to anonymous callers.</param>
/// <param name="Body">body of POSTs and PUTs; endpoints whose scope depends on the body (job types) need a real one.</param>
public sealed record EndpointCase(string Method, string Template, string Url, string? Scope, string Body = "{}",
    string ContentType = "application/json")
{
    public override string ToString() => $"{Method} {Template}";
}

/// <summary>
/// Every endpoint the app maps, with the scope it needs. <c>AccessControlTests</c> fails when the app gains an
/// endpoint that is not listed here, so a new endpoint cannot ship without a decision about its scope.
/// </summary>
public static class EndpointTable
{
    const string Id = "0196f3c8-0000-7000-8000-000000000001";
    const string Form = "application/x-www-form-urlencoded";

    public static readonly IReadOnlyList<EndpointCase> All =
    [
        new("GET", "/healthz", "/healthz", null),
        new("GET", "/readyz", "/readyz", null),

        new("POST", "/v1/imports", "/v1/imports", "admin"),

        new("GET", "/v1/assemblies", "/v1/assemblies", "read"),
        new("GET", "/v1/assemblies/diff", "/v1/assemblies/diff", "read"),
        new("GET", "/v1/assemblies/{name}/versions/{version}", "/v1/assemblies/nobody/versions/1", "read"),
        new("GET", "/v1/assemblies/{name}/versions/{version}/export", "/v1/assemblies/nobody/versions/latest/export", "read"),
        new("POST", "/v1/assemblies", "/v1/assemblies", "train"),
        new("POST", "/v1/assemblies/{name}/versions/{version}/stage", "/v1/assemblies/nobody/versions/1/stage", "admin"),
        new("POST", "/v1/assemblies/{name}/versions/{version}/archive", "/v1/assemblies/nobody/versions/1/archive", "admin"),
        new("POST", "/v1/assemblies/{name}/versions/{version}/restore", "/v1/assemblies/nobody/versions/1/restore", "admin"),

        new("GET", "/v1/families", "/v1/families", "read"),
        new("GET", "/v1/families/{key}", "/v1/families/nobody", "read"),
        new("GET", "/v1/modules", "/v1/modules", "read"),
        new("GET", "/v1/modules/{id}", $"/v1/modules/{Id}", "read"),
        new("GET", "/v1/modules/{id}/versions/{version}", $"/v1/modules/{Id}/versions/latest", "read"),
        new("GET", "/v1/module-versions", "/v1/module-versions", "read"),
        new("GET", "/v1/module-versions/{id}", $"/v1/module-versions/{Id}", "read"),
        new("GET", "/v1/module-versions/{id}/weights", $"/v1/module-versions/{Id}/weights", "read"),
        new("POST", "/v1/module-versions/{id}/stage", $"/v1/module-versions/{Id}/stage", "admin"),
        new("POST", "/v1/module-versions/{id}/archive", $"/v1/module-versions/{Id}/archive", "admin"),
        new("POST", "/v1/module-versions/{id}/restore", $"/v1/module-versions/{Id}/restore", "admin"),

        new("POST", "/v1/keys", "/v1/keys", "admin"),
        new("GET", "/v1/keys", "/v1/keys", "admin"),
        new("POST", "/v1/keys/{id}/revoke", $"/v1/keys/{Id}/revoke", "admin"),
        new("PUT", "/v1/keys/{id}/rate-limits", $"/v1/keys/{Id}/rate-limits", "admin"),

        new("GET", "/v1/audit", "/v1/audit", "admin"),

        new("GET", "/v1/models", "/v1/models", "infer"),
        new("POST", "/v1/completions", "/v1/completions", "infer"),
        new("POST", "/v1/chat/completions", "/v1/chat/completions", "infer"),
        new("GET", "/metrics", "/metrics", "read"),
        new("POST", "/v1/jobs", "/v1/jobs", "train", """{"type": "extend"}"""),
        new("GET", "/v1/jobs", "/v1/jobs", "read"),
        new("GET", "/v1/jobs/{id}", $"/v1/jobs/{Id}", "read"),
        new("GET", "/v1/jobs/{id}/events", $"/v1/jobs/{Id}/events", "read"),
        new("POST", "/v1/jobs/{id}/cancel", $"/v1/jobs/{Id}/cancel", "train"),
        new("GET", "/v1/jobs/{id}/files/{name}", $"/v1/jobs/{Id}/files/report.md", "read"),
        new("GET", "/v1/assemblies/{name}/versions/{version}/usage", "/v1/assemblies/nobody/versions/1/usage", "read"),
        new("POST", "/v1/usage/flush", "/v1/usage/flush", "admin"),
        new("POST", "/v1/datasets", "/v1/datasets?name=acl&format=text", "train", "a tiny document"),
        new("GET", "/v1/datasets", "/v1/datasets", "read"),
        new("GET", "/v1/datasets/{id}", "/v1/datasets/nobody", "read"),
        new("GET", "/v1/datasets/{id}/download", "/v1/datasets/nobody/download", "read"),
        new("POST", "/v1/datasets/{id}/archive", "/v1/datasets/nobody/archive", "train"),
        new("POST", "/v1/datasets/{id}/restore", "/v1/datasets/nobody/restore", "train"),

        // Served by middleware, not endpoints. Swagger is documentation, open to all; what its try-it-out sends goes
        // to the endpoints above and meets their rules. The Hangfire dashboard (pages and its POST actions) is admin only.
        new("GET", "/swagger/index.html", "/swagger/index.html", null),
        new("GET", "/swagger/v1/swagger.json", "/swagger/v1/swagger.json", null),
        new("GET", "/hangfire", "/hangfire", "admin"),
        new("GET", "/hangfire/jobs/enqueued", "/hangfire/jobs/enqueued", "admin"),
        new("GET", "/hangfire/servers", "/hangfire/servers", "admin"),
        new("POST", "/hangfire/stats", "/hangfire/stats", "admin", "metrics[]=enqueued:count", Form),
        new("POST", "/hangfire/jobs/enqueued/delete", "/hangfire/jobs/enqueued/delete", "admin", "jobs[]=1", Form),
    ];

    public static IEnumerable<object[]> Cases => All.Select(c => new object[] { c });

    /// <summary><c>METHOD /path/{param}</c> of every route endpoint, constraints and trailing slashes dropped.</summary>
    public static IEnumerable<(string Method, string Template)> Mapped(EndpointDataSource endpoints) =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => (method, Template(e.RoutePattern))));

    public static string Template(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => part.ToString(),
        }))));

    /// <summary>Framework endpoints that are not part of the API.</summary>
    public static bool IsInternal(string template) =>
        template.StartsWith("/swagger", StringComparison.Ordinal) || template.StartsWith("/hangfire", StringComparison.Ordinal);
}
