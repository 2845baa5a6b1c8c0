using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModuleService.Api.Infrastructure;
using ModuleService.Api.Auth;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Imports;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Imports;

/// <summary>Import of Hugging Face style ModuleFormer checkpoints (admin).</summary>
public static class ImportsApi
{
    public static IEndpointRouteBuilder MapImports(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/imports").WithTags("Imports").RequireAuthorization(ApiScopes.Admin);
        group.MapPost("/", ImportAsync)
            .WithName("ImportCheckpoint")
            .WithSummary("Import a checkpoint: JSON {path, name} for a server folder; multipart (fields name, file) or an application/x-tar body with ?name= for an uploaded .tar of one.")
            .WithDescription("Splits the checkpoint into modules, stores each module version once (content-addressed) and " +
                             "registers an assembly version. Re-importing the same weights creates nothing new; a corrupt or " +
                             "incompatible checkpoint gives 422 naming the tensor or file and writes nothing.")
            .Accepts<ImportRequest>("application/json", "multipart/form-data", "application/x-tar")
            .DisableAntiforgery()
            .WithMetadata(StreamingUpload.Instance)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    static async Task<Results<Created<ImportResponse>, Ok<ImportResponse>, ValidationProblem>> ImportAsync(
        HttpRequest request, CheckpointImporter importer, IOptions<ImportOptions> options, CancellationToken ct)
    {
        var actor = request.HttpContext.User.Actor();
        ImportResult result;
        if (request.ContentType?.StartsWith("application/x-tar", StringComparison.OrdinalIgnoreCase) == true)
        {
            var name = request.Query["name"].ToString();
            if (!AssemblyNames.IsValid(name)) return TypedResults.ValidationProblem(Errors(("name", $"query parameter: {AssemblyNames.Rule}")));
            result = await importer.ImportTarAsync(request.Body, name, actor, ct);
        }
        else if (request.HasFormContentType)
        {
            IFormCollection form;
            try { form = await request.ReadFormAsync(ct); }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new BadHttpRequestException($"unreadable multipart body: {e.Message}", e);
            }
            var name = form["name"].ToString();
            var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
            var nameError = string.IsNullOrWhiteSpace(name) ? "required" : AssemblyNames.IsValid(name) ? null : AssemblyNames.Rule;
            if (nameError is not null || file is null)
                return TypedResults.ValidationProblem(Errors(("name", nameError), ("file", file is null ? "a .tar of the checkpoint folder is required" : null)));
            await using var tar = file.OpenReadStream();
            result = await importer.ImportTarAsync(tar, name, actor, ct);
        }
        else
        {
            var body = await ImportRequest.ReadAsync(request, ct);
            if (body.Validate(options.Value) is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors);
            result = await importer.ImportFolderAsync(Path.GetFullPath(body.Path!), body.Name!, actor, ct);
        }
        var response = new ImportResponse(result.Name, result.Version, result.ManifestHash, result.ModuleCount, result.Created,
            result.NewModuleVersions, result.NewBlobs);
        return result.Created
            ? TypedResults.Created($"/v1/assemblies/{Uri.EscapeDataString(result.Name)}/versions/{result.Version}", response)
            : TypedResults.Ok(response);
    }

    static Dictionary<string, string[]> Errors(params (string Field, string? Error)[] errors) =>
        errors.Where(e => e.Error is not null).ToDictionary(e => e.Field, e => new[] { e.Error! });
}
