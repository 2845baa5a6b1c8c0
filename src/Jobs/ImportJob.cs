using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Imports;

namespace ModuleService.Jobs;

/// <summary><c>import</c>: the registry's checkpoint import as a job, for checkpoints too large for one request.</summary>
public sealed class ImportJob(CheckpointImporter importer) : IJobHandler
{
    public Task ValidateAsync(JsonElement parameters, IServiceProvider services, CancellationToken ct)
    {
        if (!parameters.TryGetProperty("path", out var path) || path.ValueKind != JsonValueKind.String || !Path.IsPathFullyQualified(path.GetString()!))
            throw new JobParameterException("path", "an absolute server path of a checkpoint folder is required");
        if (services.GetRequiredService<IOptions<ImportOptions>>().Value.PathProblem(path.GetString()!) is { } problem)
            throw new JobParameterException("path", problem);
        if (!parameters.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || !AssemblyNames.IsValid(name.GetString()))
            throw new JobParameterException("name", $"the assembly name is required: {AssemblyNames.Rule}");
        return Task.CompletedTask;
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var result = await importer.ImportFolderAsync(context.Parameter("path", ""), context.Parameter("name", ""), context.Actor, ct);
        await context.SetResultAsync(new { assembly = new { result.Name, result.Version, result.ManifestHash }, result.NewModuleVersions, result.NewBlobs }, ct);
    }
}
