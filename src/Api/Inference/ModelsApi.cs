using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Api.Inference;

public static class ModelsApi
{
    /// <summary>Every active assembly version as <c>name@version</c>, plus <c>name</c> for the newest active one.</summary>
    public static async Task<Ok<ModelList>> ListAsync(AssemblyService assemblies, CancellationToken ct)
    {
        var cards = new List<ModelCard>();
        for (int offset = 0; ; offset += PageRequest.MaxLimit)
        {
            var page = await assemblies.ListAsync(new AssemblyQuery(Stage: Stage.Active), new PageRequest(offset, PageRequest.MaxLimit), ct);
            cards.AddRange(page.Items.Select(a => Card($"{a.Name}@{a.Version}", a)));
            if (offset + page.Items.Count >= page.Total || page.Items.Count == 0) break;
        }
        var latest = cards.Select(c => (Card: c, Name: c.Id[..c.Id.LastIndexOf('@')], Version: int.Parse(c.Id[(c.Id.LastIndexOf('@') + 1)..])))
            .GroupBy(c => c.Name).Select(g => g.MaxBy(c => c.Version)).Select(c => c.Card with { Id = c.Name });
        return TypedResults.Ok(new ModelList("list", latest.Concat(cards).ToList()));
    }

    static ModelCard Card(string id, AssemblySummary a) =>
        new(id, "model", a.CreatedAt.ToUnixTimeSeconds(), a.CreatedBy, a.ManifestHash);
}
