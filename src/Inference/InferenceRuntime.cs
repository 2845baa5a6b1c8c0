using static TorchSharp.torch;

namespace ModuleService.Inference;

/// <summary>Process-wide settings the host applies once at start-up (engine threads never touch globals).</summary>
public static class InferenceRuntime
{
    /// <summary>The dtype to load models in: <see cref="InferenceDtype.Auto"/> picks bf16 only where the CPU
    /// computes it natively; elsewhere bf16 is emulated and slower than fp32.</summary>
    public static ScalarType ResolveDtype(InferenceOptions options) => options.Dtype switch
    {
        InferenceDtype.Fp32 => ScalarType.Float32,
        InferenceDtype.Bf16 => ScalarType.BFloat16,
        _ => CpuFeatures.SupportsBf16 ? ScalarType.BFloat16 : ScalarType.Float32,
    };

    /// <summary>Sets torch's intra-op thread count when configured (a process-wide libtorch setting).</summary>
    public static void ApplyThreadSettings(InferenceOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
    }
}
