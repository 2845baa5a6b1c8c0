using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ModuleService.Model;

/// <summary>
/// The reference <c>config.json</c> of a ModuleFormer checkpoint (model_type <c>moduleformer</c>).
/// JSON keys are the reference's; unknown keys are kept and written back unchanged.
/// </summary>
public sealed record ModuleFormerConfig
{
    public const string ModelType = "moduleformer";

    [JsonPropertyName("model_type")] public string ModelTypeName { get; init; } = ModelType;
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["ModuleFormerForCausalLM"];

    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 50295;
    [JsonPropertyName("n_embd")] public int HiddenSize { get; init; } = 1024;
    [JsonPropertyName("n_layer")] public int Layers { get; init; } = 24;
    /// <summary>Heads per attention expert.</summary>
    [JsonPropertyName("n_head")] public int Heads { get; init; } = 8;
    /// <summary>Width of one attention expert (all its heads together).</summary>
    [JsonPropertyName("att_hidden")] public int AttentionHidden { get; init; } = 512;
    /// <summary>Hidden width of one MLP expert.</summary>
    [JsonPropertyName("ffd_hidden")] public int MlpHidden { get; init; } = 2048;
    [JsonPropertyName("n_att_experts")] public int AttentionExperts { get; init; } = 32;
    [JsonPropertyName("k_att")] public int AttentionTopK { get; init; } = 2;
    [JsonPropertyName("n_mlp_experts")] public int MlpExperts { get; init; } = 32;
    [JsonPropertyName("k_mlp")] public int MlpTopK { get; init; } = 2;
    /// <summary>Router hidden width (gate type <c>mlp</c>).</summary>
    [JsonPropertyName("gating_size")] public int GatingSize { get; init; } = 256;
    /// <summary><c>mlp</c> (Linear, erf-GELU, Linear) or <c>linear</c> (one bias-free Linear).</summary>
    [JsonPropertyName("gate_type")] public string GateType { get; init; } = "mlp";
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu_new";
    /// <summary><c>mi</c> (mutual information) or anything else for Switch + z-loss.</summary>
    [JsonPropertyName("aux_loss_type")] public string AuxLossType { get; init; } = "mi";
    [JsonPropertyName("aux_loss_weight")] public double AuxLossWeight { get; init; }

    [JsonPropertyName("block_size")] public int BlockSize { get; init; } = 512;
    [JsonPropertyName("history_length")] public int HistoryLength { get; init; } = 512;
    [JsonPropertyName("n_ctx")] public int ContextTokens { get; init; }

    [JsonPropertyName("embd_pdrop")] public double EmbeddingDropout { get; init; }
    [JsonPropertyName("resid_pdrop")] public double ResidualDropout { get; init; }
    [JsonPropertyName("attn_pdrop")] public double AttentionDropout { get; init; }
    [JsonPropertyName("moe_pdrop")] public double RouterDropout { get; init; }
    [JsonPropertyName("sample_topk")] public int SampleTopK { get; init; }

    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("use_cache")] public bool UseCache { get; init; } = true;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 50256;
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; } = 50256;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    /// <summary>ModuleService's own key: the tokenizer this checkpoint was trained with (e.g. <c>molm</c>, <c>tiny-k1024</c>).</summary>
    [JsonPropertyName("modsvc_tokenizer")] public string? Tokenizer { get; init; }

    /// <summary>Keys we do not model (Hugging Face boilerplate, training leftovers), preserved on write.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>Head size d = att_hidden / n_head.</summary>
    [JsonIgnore] public int HeadSize => AttentionHidden / Heads;

    /// <summary>True when keys and values are the LN1 output itself (no k_proj / v_proj), as in MoLM.</summary>
    [JsonIgnore] public bool IdentityKeyValue => Heads == 1 && AttentionHidden == HiddenSize;

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowReadingFromString };

    public static ModuleFormerConfig FromJson(string json, string source = "config.json")
    {
        ModuleFormerConfig? config;
        try { config = JsonSerializer.Deserialize<ModuleFormerConfig>(json, JsonOptions); }
        catch (JsonException e) { throw new ModuleFormerConfigException($"{source}: {e.Path ?? "$"}: {e.Message}", e.Path); }
        if (config is null) throw new ModuleFormerConfigException($"{source}: empty config", null);
        config.Validate(source);
        return config;
    }

    public static ModuleFormerConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    public string ToJson() => JsonSerializer.Serialize(this with { ContextTokens = HistoryLength * Layers }, JsonOptions);

    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Throws <see cref="ModuleFormerConfigException"/> naming the first offending field.</summary>
    public void Validate(string source = "config")
    {
        void Require(bool ok, string field, string message)
        {
            if (!ok) throw new ModuleFormerConfigException($"{source}: {field}: {message}", field);
        }
        Require(ModelTypeName == ModelType, "model_type", $"expected \"{ModelType}\", got \"{ModelTypeName}\"");
        Require(VocabSize > 0, "vocab_size", $"must be positive, got {VocabSize}");
        Require(HiddenSize > 0, "n_embd", $"must be positive, got {HiddenSize}");
        Require(Layers > 0, "n_layer", $"must be positive, got {Layers}");
        Require(Heads > 0, "n_head", $"must be positive, got {Heads}");
        Require(AttentionHidden > 0, "att_hidden", $"must be positive, got {AttentionHidden}");
        Require(AttentionHidden % Heads == 0, "att_hidden", $"{AttentionHidden} is not divisible by n_head {Heads}");
        Require(MlpHidden > 0, "ffd_hidden", $"must be positive, got {MlpHidden}");
        Require(AttentionExperts > 0, "n_att_experts", $"must be positive, got {AttentionExperts}");
        Require(AttentionTopK >= 1 && AttentionTopK <= AttentionExperts, "k_att", $"must be in 1..n_att_experts ({AttentionExperts}), got {AttentionTopK}");
        Require(MlpExperts > 0, "n_mlp_experts", $"must be positive, got {MlpExperts}");
        Require(MlpTopK >= 1 && MlpTopK <= MlpExperts, "k_mlp", $"must be in 1..n_mlp_experts ({MlpExperts}), got {MlpTopK}");
        Require(GateType is "mlp" or "linear", "gate_type", $"supported: \"mlp\", \"linear\"; got \"{GateType}\"");
        Require(GateType != "mlp" || GatingSize > 0, "gating_size", $"must be positive for gate_type mlp, got {GatingSize}");
        Require(ActivationFunction is "gelu_new" or "gelu" or "relu" or "silu", "activation_function", $"supported: gelu_new, gelu, relu, silu; got \"{ActivationFunction}\"");
        Require(SampleTopK >= 0 && SampleTopK < Math.Min(AttentionTopK, MlpTopK) || SampleTopK == 0, "sample_topk", $"must be 0 or less than k, got {SampleTopK}");
        Require(!TieWordEmbeddings, "tie_word_embeddings", "ModuleFormer's lm_head is untied; true is not supported");
        Require(BlockSize > 0, "block_size", $"must be positive, got {BlockSize}");
        Require(HistoryLength >= 0, "history_length", $"must not be negative, got {HistoryLength}");
        Require(LayerNormEpsilon > 0, "layer_norm_epsilon", $"must be positive, got {LayerNormEpsilon}");
        foreach (var (field, p) in new[] { ("embd_pdrop", EmbeddingDropout), ("resid_pdrop", ResidualDropout), ("attn_pdrop", AttentionDropout), ("moe_pdrop", RouterDropout) })
            Require(p is >= 0 and < 1, field, $"must be in [0, 1), got {p}");
        Require(AuxLossWeight >= 0, "aux_loss_weight", $"must not be negative, got {AuxLossWeight}");
    }
}

/// <summary>A config that cannot describe a ModuleFormer; <see cref="Field"/> names the JSON key at fault.</summary>
public sealed class ModuleFormerConfigException(string message, string? field) : Exception(message)
{
    public string? Field { get; } = field;
}
