using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Tests.Auth;

namespace ModuleService.Api.Tests.Fuzz;

/// <summary>One endpoint as the fuzzer sees it: where its inputs go and of what type they are.</summary>
public sealed record FuzzTarget(string Method, string Template, IReadOnlyList<RouteParameter> Route,
    IReadOnlyList<QueryParameter> Query, BodyShape? Body)
{
    public override string ToString() => $"{Method} {Template}";
}

public sealed record RouteParameter(string Name, bool IsGuid);

public sealed record QueryParameter(string Name, Type Type);

/// <param name="ContentTypes">what the endpoint says it accepts (Accepts metadata), JSON first when it takes JSON.</param>
public sealed record BodyShape(Type Type, IReadOnlyList<string> ContentTypes);

/// <summary>
/// The endpoints the app maps (its <see cref="EndpointDataSource"/>), with query and body parameters taken from the
/// API explorer, so a new endpoint is fuzzed without anyone adding it here.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> Discover(IServiceProvider services)
    {
        var descriptions = services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items
            .SelectMany(group => group.Items)
            .ToDictionary(d => $"{d.HttpMethod} /{Normalize(d.RelativePath ?? "")}");
        var targets = new List<FuzzTarget>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = EndpointTable.Template(endpoint.RoutePattern);
            if (EndpointTable.IsInternal(template)) continue;
            var route = endpoint.RoutePattern.Parameters
                .Select(p => new RouteParameter(p.Name, p.ParameterPolicies.Any(policy => policy.Content == "guid"))).ToList();
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                descriptions.TryGetValue($"{method} {template}", out var description);
                var parameters = description?.ParameterDescriptions ?? [];
                var query = parameters.Where(p => p.Source == BindingSource.Query)
                    .Select(p => new QueryParameter(p.Name, Nullable.GetUnderlyingType(p.Type) ?? p.Type)).ToList();
                var body = parameters.FirstOrDefault(p => p.Source == BindingSource.Body) is { } b
                    ? new BodyShape(b.Type, description!.SupportedRequestFormats.Select(f => f.MediaType)
                        .OrderBy(m => m == "application/json" ? 0 : 1).ToList())
                    : null;
                targets.Add(new FuzzTarget(method, template, route, query, body));
            }
        }
        return targets.OrderBy(t => t.Template, StringComparer.Ordinal).ThenBy(t => t.Method, StringComparer.Ordinal).ToList();
    }

    /// <summary><c>v1/modules/{id:guid}/</c> → <c>v1/modules/{id}</c>, the form <see cref="EndpointTable.Template"/> gives.</summary>
    static string Normalize(string relativePath) =>
        System.Text.RegularExpressions.Regex.Replace(relativePath, @"\{([^}:?=]+)[^}]*\}", "{$1}").TrimEnd('/');
}
