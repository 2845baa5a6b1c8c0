using System.Text.Json.Nodes;
using ModuleService.Model;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Modules;

/// <summary>
/// The family form of a config: expert counts removed (an assembly decides them), everything else kept so an
/// export writes back the config.json the checkpoint came with.
/// </summary>
public static class FamilyConfig
{
    /// <summary>Tokenizer files stored with a family at import and written back on export, when present.</summary>
    public static readonly IReadOnlyList<string> TokenizerFileNames =
    [
        "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json", "added_tokens.json", "generation_config.json",
    ];

    const string AttentionExpertsKey = "n_att_experts";
    const string MlpExpertsKey = "n_mlp_experts";

    /// <summary>config.json of <paramref name="config"/> without the expert counts.</summary>
    public static JsonObject Normalize(ModuleFormerConfig config)
    {
        var node = JsonNode.Parse(config.ToJson())!.AsObject();
        node.Remove(AttentionExpertsKey);
        node.Remove(MlpExpertsKey);
        return node;
    }

    /// <summary>The tokenizer id: the config's own <c>modsvc_tokenizer</c>, else one derived from the files.</summary>
    public static string TokenizerId(ModuleFormerConfig config, IReadOnlyDictionary<string, string> tokenizerFiles) =>
        config.Tokenizer
        ?? (tokenizerFiles.Count > 0 ? "files-" + FilesHash(tokenizerFiles)[..16] : "unspecified");

    /// <summary>The family's identity: config (no expert counts), tokenizer id and tokenizer file hashes.</summary>
    public static string Hash(JsonObject familyConfig, string tokenizer, IReadOnlyDictionary<string, string> tokenizerFiles) =>
        CanonicalJson.Hash(new JsonObject
        {
            ["config"] = familyConfig.DeepClone(),
            ["tokenizer"] = tokenizer,
            ["tokenizerFiles"] = FilesNode(tokenizerFiles),
        });

    /// <summary>
    /// A valid config for the family with the given expert counts; null counts become k (the smallest legal
    /// count), enough for <c>ModuleAssembler</c>, which sets the real counts from the parts.
    /// </summary>
    public static ModuleFormerConfig ToConfig(string familyConfigJson, int? attentionExperts = null, int? mlpExperts = null)
    {
        var node = JsonNode.Parse(familyConfigJson)!.AsObject();
        node[AttentionExpertsKey] = attentionExperts ?? (int?)node["k_att"] ?? 1;
        node[MlpExpertsKey] = mlpExperts ?? (int?)node["k_mlp"] ?? 1;
        return ModuleFormerConfig.FromJson(node.ToJsonString(), "family config");
    }

    static string FilesHash(IReadOnlyDictionary<string, string> files) => CanonicalJson.Hash(FilesNode(files));

    static JsonObject FilesNode(IReadOnlyDictionary<string, string> files) =>
        new(files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value)));
}
