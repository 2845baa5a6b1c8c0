namespace ModuleService.Model.Surgery;

/// <summary>What a part is and where it goes, without its tensors (see <see cref="ModulePart"/> for the fields).</summary>
public interface IModulePartIdentity
{
    ModuleKind Kind { get; }
    int? Layer { get; }
    int? ExpertIndex { get; }
    string Name { get; }
}

/// <summary>
/// A part not read yet: its identity and how to read it. <see cref="ModuleAssembler.Build"/> opens one at a time,
/// so an assembly never holds more than one part's tensors besides the model.
/// </summary>
/// <param name="Open">reads the part; the caller disposes it.</param>
public sealed record PartSource(ModuleKind Kind, int? Layer, int? ExpertIndex, string Name, Func<ModulePart> Open) : IModulePartIdentity;
