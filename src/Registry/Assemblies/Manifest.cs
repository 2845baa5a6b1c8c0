using System.Text.Json;
using System.Text.Json.Nodes;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Assemblies;

/// <summary>One module version in a manifest: its id, readable module name and number, and its content hash.</summary>
public sealed record ManifestEntry(Guid VersionId, string Module, int Version, string Sha256);

/// <summary>One block: its shared part and its experts in order (list position = expert index in the model).</summary>
public sealed record ManifestLayer(ManifestEntry Shared, IReadOnlyList<ManifestEntry> Attention, IReadOnlyList<ManifestEntry> Mlp);

/// <summary>What an assembly is made of. Stored as jsonb; hashed from content shas only (see <see cref="ContentHash"/>).</summary>
public sealed record Manifest(string FamilyHash, ManifestEntry Embedding, ManifestEntry Head, IReadOnlyList<ManifestLayer> Layers)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Experts per layer (ModuleFormer keeps one count for all layers; validation enforces it).</summary>
    public int AttentionExperts => Layers.Count == 0 ? 0 : Layers[0].Attention.Count;
    public int MlpExperts => Layers.Count == 0 ? 0 : Layers[0].Mlp.Count;

    /// <summary>
    /// sha256 of the canonical JSON of family hash + shas in order. Ids and version numbers are left out, so the
    /// same weights in the same order give the same hash whichever module versions carry them.
    /// </summary>
    public string ContentHash()
    {
        static JsonArray Shas(IEnumerable<ManifestEntry> entries) => new(entries.Select(e => (JsonNode?)e.Sha256).ToArray());
        var layers = new JsonArray(Layers.Select(l => (JsonNode?)new JsonObject
        {
            ["shared"] = l.Shared.Sha256,
            ["attention"] = Shas(l.Attention),
            ["mlp"] = Shas(l.Mlp),
        }).ToArray());
        return CanonicalJson.Hash(new JsonObject
        {
            ["familyHash"] = FamilyHash,
            ["embedding"] = Embedding.Sha256,
            ["head"] = Head.Sha256,
            ["layers"] = layers,
        });
    }

    /// <summary>Every entry with its slot, in model order: embedding, per layer shared/attention/mlp, head.</summary>
    public IEnumerable<ManifestSlot> Slots()
    {
        yield return new(Embedding, ModuleKind.Embedding, null, null);
        for (var layer = 0; layer < Layers.Count; layer++)
        {
            yield return new(Layers[layer].Shared, ModuleKind.LayerShared, layer, null);
            for (var i = 0; i < Layers[layer].Attention.Count; i++)
                yield return new(Layers[layer].Attention[i], ModuleKind.AttentionExpert, layer, i);
            for (var i = 0; i < Layers[layer].Mlp.Count; i++)
                yield return new(Layers[layer].Mlp[i], ModuleKind.MlpExpert, layer, i);
        }
        yield return new(Head, ModuleKind.Head, null, null);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static Manifest Parse(string json) =>
        JsonSerializer.Deserialize<Manifest>(json, Json) ?? throw new InvalidOperationException("empty manifest");
}

/// <summary>A manifest entry with where it sits: kind, layer and expert position (null for singletons).</summary>
public sealed record ManifestSlot(ManifestEntry Entry, ModuleKind Kind, int? Layer, int? Position);
