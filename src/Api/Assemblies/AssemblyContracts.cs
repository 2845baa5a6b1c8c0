using System.Text.Json;
using ModuleService.Api.Imports;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Api.Assemblies;

/// <summary>Compose a new assembly version.</summary>
/// <param name="Name">the new assembly's name (a new name starts at version 1).</param>
/// <param name="Base">the assembly to start from, <c>name@version</c> or <c>name</c> (latest).</param>
/// <param name="Add">module versions to add (experts are appended to their layer unless a layer/position is given).</param>
/// <param name="Remove">module version ids to drop.</param>
public sealed record ComposeAssemblyRequest(string? Name, string? Base, IReadOnlyList<ModuleAddition>? Add,
    IReadOnlyList<Guid>? Remove, string? Notes, JsonElement? Evaluation, Stage? Stage)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name)) errors["name"] = ["required"];
        else if (!AssemblyNames.IsValid(Name)) errors["name"] = [AssemblyNames.Rule];
        if (string.IsNullOrWhiteSpace(Base)) errors["base"] = ["required: name@version or name"];
        if (Stage == Registry.Data.Entities.Stage.Archived) errors["stage"] = ["a new assembly cannot start archived"];
        return errors;
    }

    public ComposeRequest ToRegistry() =>
        new(Name!, AssemblyRef.Parse(Base!), Add, Remove, Notes, Evaluation, Stage ?? Registry.Data.Entities.Stage.Draft);
}

/// <summary>A stage transition.</summary>
/// <param name="Stage">required: draft, active or deprecated (archived works too; restore has its own endpoint).</param>
public sealed record StageRequest(Stage? Stage, string? Reason)
{
    // Nullable so that a body without "stage" is a 400 naming the field, not a silent move to draft (the enum's default).
    public static Dictionary<string, string[]> MissingStage => new() { ["stage"] = ["required: draft, active, deprecated or archived"] };
}
