using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Api.Assemblies;
using ModuleService.Api.Auth;
using ModuleService.Api.Infrastructure;
using ModuleService.Registry;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Keys;
using ModuleService.Registry.Modules;
using ModuleService.Registry.Stages;
using ModuleService.Model.Surgery;

namespace ModuleService.Api.Modules;

/// <summary>Families (architectures), modules (logical slots) and their immutable versions.</summary>
public static class ModulesApi
{
    public static IEndpointRouteBuilder MapModules(this IEndpointRouteBuilder app)
    {
        var families = app.MapGroup("/v1/families").WithTags("Modules").RequireAuthorization(ApiScopes.Read);
        families.MapGet("/", ListFamiliesAsync).WithName("ListFamilies").WithSummary("List families: the architectures modules fit.");
        families.MapGet("/{key}", GetFamilyAsync).WithName("GetFamily").WithSummary("A family by id, name or hash.");

        var modules = app.MapGroup("/v1/modules").WithTags("Modules").RequireAuthorization(ApiScopes.Read);
        modules.MapGet("/", ListModulesAsync).WithName("ListModules").WithSummary("List modules, filtered by family, kind, layer or name.");
        modules.MapGet("/{id:guid}", GetModuleAsync).WithName("GetModule").WithSummary("A module (logical slot).");
        modules.MapGet("/{id:guid}/versions/{version}", GetModuleVersionByNumberAsync)
            .WithName("GetModuleVersionByNumber").WithSummary("A module's version by number or 'latest'.");

        var versions = app.MapGroup("/v1/module-versions").WithTags("Modules");
        versions.MapGet("/", ListVersionsAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("ListModuleVersions").WithSummary("List module versions, filtered by family, module, kind, layer, stage or sha256.");
        versions.MapGet("/{id:guid}", GetVersionAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetModuleVersion").WithSummary("Module version metadata: sha256, dtype, shapes, parent, provenance, stage.");
        versions.MapGet("/{id:guid}/weights", WeightsAsync).RequireAuthorization(ApiScopes.Read)
            .WithName("GetModuleVersionWeights").WithSummary("The module version's tensors as a safetensors file (hash-verified).")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream");
        versions.MapPost("/{id:guid}/stage", SetStageAsync).RequireAuthorization(ApiScopes.Admin)
            .WithName("SetModuleVersionStage").WithSummary("Move a module version to draft, active or deprecated.");
        versions.MapPost("/{id:guid}/archive", ArchiveAsync).RequireAuthorization(ApiScopes.Admin)
            .WithName("ArchiveModuleVersion").WithSummary("Archive a module version (restorable).");
        versions.MapPost("/{id:guid}/restore", RestoreAsync).RequireAuthorization(ApiScopes.Admin)
            .WithName("RestoreModuleVersion").WithSummary("Restore an archived module version.");
        return app;
    }

    static async Task<Ok<Page<FamilyView>>> ListFamiliesAsync(ModuleCatalog catalog, string? name, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await catalog.ListFamiliesAsync(name, new PageRequest(offset ?? 0, limit ?? 50), ct));

    static async Task<Ok<FamilyView>> GetFamilyAsync(ModuleCatalog catalog, string key, CancellationToken ct) =>
        TypedResults.Ok(await catalog.GetFamilyAsync(key, ct));

    static async Task<Ok<Page<ModuleView>>> ListModulesAsync(ModuleCatalog catalog, Guid? familyId, string? kind, int? layer,
        string? name, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await catalog.ListModulesAsync(new ModuleQuery(familyId, QueryEnum.Parse<ModuleKind>(kind, "kind"), layer, name), new PageRequest(offset ?? 0, limit ?? 50), ct));

    static async Task<Ok<ModuleView>> GetModuleAsync(ModuleCatalog catalog, Guid id, CancellationToken ct) =>
        TypedResults.Ok(await catalog.GetModuleAsync(id, ct));

    static async Task<Ok<ModuleVersionView>> GetModuleVersionByNumberAsync(ModuleCatalog catalog, Guid id, string version, CancellationToken ct) =>
        TypedResults.Ok(await catalog.GetVersionAsync(id, version, ct));

    static async Task<Ok<Page<ModuleVersionView>>> ListVersionsAsync(ModuleCatalog catalog, Guid? familyId, Guid? moduleId,
        string? kind, int? layer, string? stage, string? sha256, bool? includeArchived, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await catalog.ListVersionsAsync(new ModuleVersionQuery(familyId, moduleId, QueryEnum.Parse<ModuleKind>(kind, "kind"), layer,
                QueryEnum.Parse<Stage>(stage, "stage"), sha256, includeArchived ?? false),
            new PageRequest(offset ?? 0, limit ?? 50), ct));

    static async Task<Ok<ModuleVersionView>> GetVersionAsync(ModuleCatalog catalog, Guid id, CancellationToken ct) =>
        TypedResults.Ok(await catalog.GetVersionAsync(id, ct));

    static async Task<FileStreamHttpResult> WeightsAsync(ModuleCatalog catalog, Guid id, CancellationToken ct)
    {
        var version = await catalog.GetVersionAsync(id, ct);
        var stream = await catalog.OpenWeightsAsync(id, ct);
        return TypedResults.Stream(stream, "application/octet-stream", $"{version.Module}-v{version.Version}.safetensors");
    }

    static async Task<Results<Ok<StageChange>, ValidationProblem>> SetStageAsync(ModuleCatalog catalog, Guid id, StageRequest request,
        HttpContext context, CancellationToken ct) =>
        request.Stage is { } stage
            ? TypedResults.Ok(await catalog.SetStageAsync(id, stage, context.User.Actor(), request.Reason, ct))
            : TypedResults.ValidationProblem(StageRequest.MissingStage);

    static async Task<Ok<StageChange>> ArchiveAsync(ModuleCatalog catalog, Guid id, HttpContext context, CancellationToken ct, string? reason = null) =>
        TypedResults.Ok(await catalog.ArchiveAsync(id, context.User.Actor(), reason, ct));

    static async Task<Ok<StageChange>> RestoreAsync(ModuleCatalog catalog, Guid id, HttpContext context, CancellationToken ct, string? reason = null) =>
        TypedResults.Ok(await catalog.RestoreAsync(id, context.User.Actor(), reason, ct));
}
