using System.Text.Json;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Imports;

namespace ModuleService.Api.Imports;

/// <summary>Import a checkpoint folder on the server.</summary>
/// <param name="Path">absolute server-side folder holding config.json and the weights.</param>
/// <param name="Name">the assembly name to register the checkpoint under.</param>
public sealed record ImportRequest(string? Path, string? Name)
{
    public static async Task<ImportRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
            throw new BadHttpRequestException("send application/json {path, name}, multipart/form-data (name, file) or " +
                                              "application/x-tar with ?name=", StatusCodes.Status415UnsupportedMediaType);
        try
        {
            return await request.ReadFromJsonAsync<ImportRequest>(ct) ?? new ImportRequest(null, null);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException($"malformed JSON body: {e.Message}", e);
        }
    }

    public Dictionary<string, string[]> Validate(ImportOptions options)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name)) errors["name"] = ["required"];
        else if (!AssemblyNames.IsValid(Name)) errors["name"] = [AssemblyNames.Rule];
        if (string.IsNullOrWhiteSpace(Path)) errors["path"] = ["required"];
        else if (options.PathProblem(Path) is { } problem) errors["path"] = [problem];
        return errors;
    }
}

/// <param name="Created">false when the same manifest was already the latest version (nothing was written).</param>
public sealed record ImportResponse(string Name, int Version, string ManifestHash, int Modules, bool Created, int NewModuleVersions, int NewBlobs);
