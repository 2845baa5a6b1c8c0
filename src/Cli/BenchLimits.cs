using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>
/// What this machine can do at the bench's thread count, measured in the same process (and run) as the models, so
/// the fractions in the report compare like with like.
/// </summary>
/// <param name="Fp32MatmulGflops">2n³ / time of an n×n×n fp32 matmul (median).</param>
/// <param name="Bf16MatmulGflops">the same in bf16 (emulated, slower than fp32, on CPUs without AVX512-BF16).</param>
/// <param name="CopyGBps">(bytes read + bytes written) / time of one large tensor copy (median), 10⁹ bytes/s.</param>
internal sealed record MachineLimits(int MatmulSize, double Fp32MatmulGflops, double Bf16MatmulGflops, long CopyBytes, double CopyGBps)
{
    public double MatmulGflops(ScalarType dtype) => dtype == ScalarType.BFloat16 ? Bf16MatmulGflops : Fp32MatmulGflops;
}

internal static class BenchLimits
{
    public const int DefaultMatmulSize = 2048;

    /// <summary>256 MiB per tensor: 8× the L3 cache of the bench machines, so the copy streams through DRAM.</summary>
    public const long CopyBytes = 256L << 20;

    public static MachineLimits Measure(int matmulSize, int runs, TextWriter log) => new(
        matmulSize,
        Matmul(ScalarType.Float32, matmulSize, runs, log),
        Matmul(ScalarType.BFloat16, matmulSize, runs, log),
        CopyBytes,
        Copy(runs, log));

    private static double Matmul(ScalarType dtype, int n, int runs, TextWriter log)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var generator = new Generator(7);
        var a = randn([n, n], generator: generator).to(dtype);
        var b = randn([n, n], generator: generator).to(dtype);
        double ms = BenchTiming.Median(runs, $"limits: {CommandLine.DTypeName(dtype)} matmul {n}³", log, () =>
        {
            using var product = a.mm(b);
        });
        return 2.0 * n * n * n / (ms / 1000) / 1e9;
    }

    private static double Copy(int runs, TextWriter log)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        // Both tensors are written once first, so page faults are not timed.
        var source = ones(CopyBytes / sizeof(float));
        var target = zeros(CopyBytes / sizeof(float));
        double ms = BenchTiming.Median(runs, $"limits: copy {CopyBytes >> 20} MiB", log, () => target.copy_(source));
        return 2.0 * CopyBytes / (ms / 1000) / 1e9;
    }
}
