using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Api.Auth;
using ModuleService.Api.Infrastructure;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Stages;

namespace ModuleService.Api.Assemblies;

/// <summary>Assemblies: versioned manifests of module versions that make up one model.</summary>
public static class AssembliesApi
{
    public static IEndpointRouteBuilder MapAssemblies(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/assemblies").WithTags("Assemblies");
        group.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("ListAssemblies").WithSummary("List assemblies (newest first), filtered by name, family or stage.");
        group.MapGet("/diff", DiffAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("DiffAssemblies").WithSummary("Per layer, the modules added, removed or changed between two assemblies (from=name@version, to=name@version).");
        group.MapGet("/{name}/versions/{version}", GetAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetAssembly").WithSummary("An assembly version with its manifest; 'latest' works for the version.");
        group.MapGet("/{name}/versions/{version}/export", ExportAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("ExportAssembly").WithSummary("A .tar with config.json, model.safetensors (reference names) and the tokenizer files.")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar");
        group.MapPost("/", ComposeAsync).RequireAuthorization(ApiScopes.Train)
            .WithName("ComposeAssembly").WithSummary("Create name@next from a base assembly plus and minus module versions (experts may come from other assemblies of the family).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPost("/{name}/versions/{version}/stage", SetStageAsync).RequireAuthorization(ApiScopes.Admin)
            .WithName("SetAssemblyStage").WithSummary("Move an assembly version to draft, active or deprecated.");
        group.MapPost("/{name}/versions/{version}/archive", ArchiveAsync).RequireAuthorization(ApiScopes.Admin)
            .WithName("ArchiveAssembly").WithSummary("Archive (the registry's delete): hidden from listings and serving, restorable.");
        group.MapPost("/{name}/versions/{version}/restore", RestoreAsync).RequireAuthorization(ApiScopes.Admin)
            .WithName("RestoreAssembly").WithSummary("Restore an archived assembly version to the stage it had before.");
        return app;
    }

    static async Task<Ok<Page<AssemblySummary>>> ListAsync(AssemblyService assemblies, string? name, Guid? familyId, string? stage,
        bool? includeArchived, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await assemblies.ListAsync(new AssemblyQuery(name, familyId, QueryEnum.Parse<Stage>(stage, "stage"), includeArchived ?? false),
            new PageRequest(offset ?? 0, limit ?? 50), ct));

    static async Task<Ok<AssemblyDetail>> GetAsync(AssemblyService assemblies, string name, string version, CancellationToken ct) =>
        TypedResults.Ok(await assemblies.GetAsync(new AssemblyRef(name, version), ct));

    static async Task<Results<Ok<AssemblyDiff>, ValidationProblem>> DiffAsync(AssemblyService assemblies, string? from, string? to, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [string.IsNullOrWhiteSpace(from) ? "from" : "to"] = ["required: name@version"] });
        return TypedResults.Ok(await assemblies.DiffAsync(AssemblyRef.Parse(from), AssemblyRef.Parse(to), ct));
    }

    static async Task ExportAsync(HttpContext context, AssemblyService assemblies, string name, string version, CancellationToken ct)
    {
        var detail = await assemblies.GetAsync(new AssemblyRef(name, version), ct);
        context.Response.ContentType = "application/x-tar";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{detail.Summary.Name}-v{detail.Summary.Version}.tar\"";
        await assemblies.ExportTarAsync(new AssemblyRef(name, detail.Summary.Version.ToString()), context.Response.Body, ct);
    }

    static async Task<Results<Created<AssemblyDetail>, ValidationProblem>> ComposeAsync(ComposeAssemblyRequest request,
        AssemblyService assemblies, HttpContext context, CancellationToken ct)
    {
        if (request.Validate() is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors);
        var created = await assemblies.ComposeAsync(request.ToRegistry(), context.User.Actor(), ct);
        return TypedResults.Created($"/v1/assemblies/{Uri.EscapeDataString(created.Summary.Name)}/versions/{created.Summary.Version}", created);
    }

    static async Task<Results<Ok<StageChange>, ValidationProblem>> SetStageAsync(AssemblyService assemblies, string name, string version,
        StageRequest request, HttpContext context, CancellationToken ct) =>
        request.Stage is { } stage
            ? TypedResults.Ok(await assemblies.SetStageAsync(new AssemblyRef(name, version), stage, context.User.Actor(), request.Reason, ct))
            : TypedResults.ValidationProblem(StageRequest.MissingStage);

    static async Task<Ok<StageChange>> ArchiveAsync(AssemblyService assemblies, string name, string version, HttpContext context,
        CancellationToken ct, string? reason = null) =>
        TypedResults.Ok(await assemblies.ArchiveAsync(new AssemblyRef(name, version), context.User.Actor(), reason, ct));

    static async Task<Ok<StageChange>> RestoreAsync(AssemblyService assemblies, string name, string version, HttpContext context,
        CancellationToken ct, string? reason = null) =>
        TypedResults.Ok(await assemblies.RestoreAsync(new AssemblyRef(name, version), context.User.Actor(), reason, ct));
}
