using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ModuleService.Inference;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Tokenizers;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Api.Inference;

/// <summary>An assembly ready to serve: its engine key (the manifest hash), tokenizer and how to build it.</summary>
public sealed record ServedModel(string Id, AssemblyDetail Assembly, ModuleFormerConfig Config, ITextTokenizer Tokenizer,
    Func<CancellationToken, Task<ModuleFormerForCausalLM>> Build)
{
    /// <summary>Same manifest, same weights: one cached model serves every assembly version that shares it.</summary>
    public string Key => Assembly.Summary.ManifestHash;
}

/// <summary>Resolves OpenAI <c>model</c> ids (<c>name</c> or <c>name@version</c>) to registry assemblies.</summary>
public sealed class ServedModels(AssemblyService assemblies, ModuleCatalog catalog, IServiceScopeFactory scopes,
    IOptions<InferenceOptions> options)
{
    static readonly ConcurrentDictionary<Guid, (ModuleFormerConfig, ITextTokenizer)> Families = new();

    public async Task<ServedModel> ResolveAsync(string modelId, CancellationToken ct)
    {
        AssemblyDetail assembly;
        // Problems name the request's field and model id, not the registry's "assembly 'x@latest'" or "version".
        try { assembly = await assemblies.GetAsync(AssemblyRef.Parse(modelId), ct); }
        catch (NotFoundException) { throw new NotFoundException("model", modelId); }
        catch (InvalidModuleOperationException e) when (e.Target == "version")
        {
            throw new RequestFieldException("model", $"'{modelId}' is not a model id: use name or name@version (e.g. tiny@1)");
        }
        if (assembly.Summary.Stage == Stage.Archived) throw new NotFoundException("model", modelId);
        var (family, tokenizer) = await FamilyAsync(assembly.Summary.FamilyId, ct);
        var config = family with { AttentionExperts = assembly.AttentionExperts, MlpExperts = assembly.MlpExperts };
        var dtype = InferenceRuntime.ResolveDtype(options.Value);
        return new ServedModel($"{assembly.Summary.Name}@{assembly.Summary.Version}", assembly, config, tokenizer,
            ct => BuildAsync(assembly.Summary.Id, dtype, ct));
    }

    async Task<(ModuleFormerConfig, ITextTokenizer)> FamilyAsync(Guid familyId, CancellationToken ct)
    {
        if (Families.TryGetValue(familyId, out var cached)) return cached;
        var family = await catalog.GetFamilyAsync(familyId.ToString(), ct);
        var config = FamilyConfig.ToConfig(family.Config.GetRawText());
        var tokenizer = CheckpointTokenizers.For(config, CheckpointTokenizers.TokenizerFiles.Any(family.TokenizerFiles.ContainsKey));
        return Families[familyId] = (config, tokenizer);
    }

    /// <summary>Runs in its own DI scope: the build is shared by every request waiting for this model.</summary>
    async Task<ModuleFormerForCausalLM> BuildAsync(Guid assemblyId, ScalarType dtype, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AssemblyService>().BuildModelAsync(assemblyId, dtype, ct);
    }
}
