using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ModuleService.Cli.Corpus;

/// <summary>One output file of a domain: documents, UTF-8 bytes of their text, tokens, file size and sha256.</summary>
internal sealed record CorpusFileStats(string File, int Documents, long TextBytes, long Tokens, long Bytes, string Sha256);

/// <summary>What <c>corpus build</c> records in a domain folder's <c>stats.json</c>.</summary>
internal sealed record CorpusDomainStats(string Domain, string SplitRule, string Tokenizer, long ValidationTokenCap, List<CorpusFileStats> Files);

/// <summary>Reads a domain's extracted packages, splits the documents and writes the four JSONL files with statistics.</summary>
internal static class CorpusBuild
{
    public const string StatsFile = "stats.json";

    /// <summary>stats.json uses the snake_case keys of manifest.json.</summary>
    public static readonly JsonSerializerOptions StatsJson = new(JsonText.Options) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    public static readonly IReadOnlyList<string> Files = ["documents.jsonl", "train.jsonl", "validation.jsonl", "test.jsonl"];

    public static CorpusDomainStats Run(CorpusDomain domain, string source, string output, TokenCounter counter, long validationTokenCap, TextWriter log)
    {
        var documents = domain.Read(source).ToList();
        if (documents.Count == 0) throw new CliException($"{domain.Id}: no documents found in {source}");
        var duplicate = documents.GroupBy(d => d.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new CliException($"{domain.Id}: document id '{duplicate.Key}' occurs {duplicate.Count()} times");
        log.WriteLine($"[corpus] {domain.Id}: {documents.Count} documents read from {source}");

        var tokens = new TokenCounts(counter);
        var split = CorpusSplits.Split(documents, domain.Rule, tokens.Count, validationTokenCap);
        Directory.CreateDirectory(output);
        var parts = new[] { documents, split.Train, split.Validation, split.Test };
        var files = new List<CorpusFileStats>();
        for (int i = 0; i < Files.Count; i++)
        {
            var path = Path.Combine(output, Files[i]);
            DocumentFile.Write(path, parts[i]);
            files.Add(new CorpusFileStats(Files[i], parts[i].Count, parts[i].Sum(d => (long)Encoding.UTF8.GetByteCount(d.Text)),
                parts[i].Sum(d => (long)tokens.Count(d.Text)), new FileInfo(path).Length, Sha256(path)));
            log.WriteLine($"[corpus] {domain.Id}/{Files[i]}: {files[^1].Documents} documents, {files[^1].TextBytes:N0} text bytes, {files[^1].Tokens:N0} tokens");
        }
        var stats = new CorpusDomainStats(domain.Id, domain.Rule.ToString().ToLowerInvariant(), counter.TokenizerName, validationTokenCap, files);
        File.WriteAllText(Path.Combine(output, StatsFile), JsonSerializer.Serialize(stats, StatsJson) + "\n");
        return stats;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Token counts per text instance: split parts that are whole documents are counted once.</summary>
    private sealed class TokenCounts(TokenCounter counter)
    {
        private readonly Dictionary<string, int> counts = new(ReferenceEqualityComparer.Instance);

        public int Count(string text)
        {
            if (!counts.TryGetValue(text, out int count)) counts[text] = count = counter.Count(text);
            return count;
        }
    }
}
