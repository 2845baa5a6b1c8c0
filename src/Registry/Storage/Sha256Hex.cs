using System.Security.Cryptography;

namespace ModuleService.Registry.Storage;

/// <summary>Lower-case hex sha256, the registry's one spelling of a content hash.</summary>
public static class Sha256Hex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Of(string text) => Of(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Hashes the rest of <paramref name="stream"/> (from its current position).</summary>
    public static async Task<string> OfAsync(Stream stream, CancellationToken ct) =>
        Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));

    public static bool IsValid(string? sha) =>
        sha is { Length: 64 } && sha.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
