using System.Security.Cryptography;
using ModuleService.Model;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Modules;
using static TorchSharp.torch;

namespace ModuleService.Jobs;

/// <summary>Content hashes of a model's modules, as the registry computes them (sha256 of canonical bytes).</summary>
public static class ModuleHashes
{
    public static Dictionary<string, string> Of(ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        using var modules = ModuleSplitter.Split(config, stateDict);
        return modules.Parts.ToDictionary(p => p.Name, Hash);
    }

    public static string Hash(ModulePart part)
    {
        using var stream = new MemoryStream();
        ModuleVersionWriter.WriteCanonical(part, stream);
        return Convert.ToHexStringLower(SHA256.HashData(stream.ToArray()));
    }
}
