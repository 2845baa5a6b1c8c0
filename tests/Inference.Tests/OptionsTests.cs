using System.ComponentModel.DataAnnotations;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Inference.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void CpuFlags_AreMatchedAsWholeWords()
    {
        const string cpuInfo = "processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n";
        Assert.True(CpuFeatures.HasFlag(cpuInfo, "avx512_bf16"));
        Assert.False(CpuFeatures.HasFlag(cpuInfo.Replace("avx512_bf16", "avx512_bf16x"), "avx512_bf16"));
        Assert.False(CpuFeatures.HasFlag("model name\t: avx512_bf16\n", "avx512_bf16"));
    }

    [Fact]
    public void Dtype_AutoFollowsTheCpu_ExplicitValuesWin()
    {
        Assert.Equal(CpuFeatures.SupportsBf16 ? ScalarType.BFloat16 : ScalarType.Float32, InferenceRuntime.ResolveDtype(new InferenceOptions()));
        Assert.Equal(ScalarType.Float32, InferenceRuntime.ResolveDtype(new InferenceOptions { Dtype = InferenceDtype.Fp32 }));
        Assert.Equal(ScalarType.BFloat16, InferenceRuntime.ResolveDtype(new InferenceOptions { Dtype = InferenceDtype.Bf16 }));
    }

    [Fact]
    public void Validation_RejectsOutOfRangeLimits()
    {
        Assert.Empty(Validate(new InferenceOptions()));
        var errors = Validate(new InferenceOptions { MaxBatchSize = 0, ModelCacheBytes = 0, MaxQueueLength = -1, Dtype = (InferenceDtype)7 });
        Assert.Equal(
            [nameof(InferenceOptions.Dtype), nameof(InferenceOptions.MaxBatchSize), nameof(InferenceOptions.MaxQueueLength), nameof(InferenceOptions.ModelCacheBytes)],
            errors.SelectMany(e => e.MemberNames).Order());
    }

    private static List<ValidationResult> Validate(InferenceOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
