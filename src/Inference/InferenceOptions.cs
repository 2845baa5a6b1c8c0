using System.ComponentModel.DataAnnotations;

namespace ModuleService.Inference;

/// <summary>Weights and compute dtype of served models.</summary>
public enum InferenceDtype
{
    /// <summary>bf16 when the CPU has AVX512-BF16 (≈ 4× fp32 matmul throughput there), fp32 otherwise.</summary>
    Auto,
    Fp32,
    Bf16,
}

/// <summary>The "Inference" configuration section: model cache, batching and request limits.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    [EnumDataType(typeof(InferenceDtype))]
    public InferenceDtype Dtype { get; set; } = InferenceDtype.Auto;

    /// <summary>Byte budget of the assembled-model cache (Σ parameter numel × element size).</summary>
    [Range(1L, long.MaxValue)]
    public long ModelCacheBytes { get; set; } = 8L << 30;

    /// <summary>Rows decoded together in one forward pass per model.</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>Requests waiting for a batch row, per model; more get 429 with Retry-After.</summary>
    [Range(0, 1_000_000)]
    public int MaxQueueLength { get; set; } = 64;

    [Range(1, 1_000_000)]
    public int MaxPromptTokens { get; set; } = 2048;

    [Range(1, 1_000_000)]
    public int MaxNewTokens { get; set; } = 1024;

    /// <summary>Upper bound of padded prompt tokens (rows × longest prompt) in one prefill forward, so a burst of
    /// long prompts is split into several forwards instead of one huge padded batch.</summary>
    [Range(1, 1_000_000)]
    public int MaxPrefillTokens { get; set; } = 4096;

    /// <summary>torch intra-op threads for the process; 0 keeps TorchSharp's default.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }
}
