using System.Text.Json;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Registry.Assemblies;

/// <summary>A module version placed in an assembly slot, with the stored metadata validation needs.</summary>
internal sealed record PlacedVersion(ManifestEntry Entry, ModuleKind Kind, int? Layer, int? Position, string DType, string ShapesJson)
{
    /// <summary>How errors name it: <c>layer0.attn.expert3@v2</c>.</summary>
    public string Label => $"{Entry.Module}@v{Entry.Version}";
}

/// <summary>
/// Checks a would-be assembly with the model library's own rules (<see cref="ModuleAssembler"/>) without loading
/// weights: each part is built from "meta" tensors, which have shape and dtype but no storage. So the registry
/// and the model code can never disagree about what a valid assembly is.
/// </summary>
internal static class AssemblyValidator
{
    static readonly Device Meta = new(DeviceType.META);

    /// <exception cref="InvalidModuleOperationException">Target names the module version (<c>name@vN</c>),
    /// the layer group (<c>layer0.attn</c>) or the missing slot (<c>layer1.shared</c>).</exception>
    public static void Validate(ModuleFormerConfig family, IReadOnlyList<PlacedVersion> placed)
    {
        using var scope = NewDisposeScope();
        var parts = placed.Select(p => new ModulePart(p.Kind, p.Layer, p.Position, p.Label, MetaTensors(p))).ToList();
        try
        {
            ModuleAssembler.Assemble(family, parts);
        }
        catch (ModuleSurgeryException e)
        {
            throw new InvalidModuleOperationException(e.Part, e.Problem, e);
        }
        catch (ModuleFormerConfigException e)
        {
            throw new InvalidModuleOperationException(e.Field ?? "config", e.Message, e);
        }
    }

    static Dictionary<string, Tensor> MetaTensors(PlacedVersion placed)
    {
        if (!SafetensorsDType.TryParse(placed.DType, out var dtype, out _))
            throw new InvalidModuleOperationException(placed.Label, $"stored dtype '{placed.DType}' is not supported");
        var shapes = JsonSerializer.Deserialize<Dictionary<string, long[]>>(placed.ShapesJson) ?? [];
        return shapes.ToDictionary(s => s.Key, s => empty(s.Value, dtype, Meta));
    }
}
