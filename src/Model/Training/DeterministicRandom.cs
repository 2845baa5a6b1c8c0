namespace ModuleService.Model.Training;

/// <summary>
/// Counter-based randomness: every draw is a pure function of (seed, stream, index), so the data order of step s
/// depends on s alone and a resumed run needs no RNG state beyond its step counter.
/// </summary>
internal static class DeterministicRandom
{
    /// <summary>SplitMix64's finaliser: a bijective 64-bit mix with full avalanche.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>64 random bits for draw <paramref name="index"/> of <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public static ulong Bits(long seed, long stream, long index) => Mix(Mix(Mix((ulong)seed) ^ (ulong)stream) ^ (ulong)index);

    /// <summary>A value in [0, <paramref name="bound"/>); the high half of a 128-bit product avoids modulo bias.</summary>
    public static long Below(long bound, long seed, long stream, long index)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "must be positive");
        return (long)Math.BigMul(Bits(seed, stream, index), (ulong)bound, out _);
    }
}
