using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModuleService.Cli.Corpus;

/// <summary>
/// <c>manifest.json</c> of a corpus cache: per domain the split rule and, for every output file, documents, text
/// bytes, tokens, file bytes and sha256 (re-hashed, so a stale <c>stats.json</c> is caught); plus the source
/// archives (package, version, file, bytes, sha256) listed by the fetch script. No timestamps: the same inputs
/// give the same manifest.
/// </summary>
internal static class CorpusManifest
{
    /// <param name="sources">tab-separated lines <c>domain package version file</c> (file relative to <paramref name="root"/>).</param>
    public static JsonObject Build(string root, string? sources)
    {
        var domains = new JsonObject();
        var tokenizers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var statsPath = Path.Combine(folder, CorpusBuild.StatsFile);
            if (!File.Exists(statsPath)) continue;
            var stats = JsonSerializer.Deserialize<CorpusDomainStats>(File.ReadAllText(statsPath), CorpusBuild.StatsJson)
                        ?? throw new CliException($"{statsPath}: empty");
            tokenizers.Add(stats.Tokenizer);
            var files = new JsonObject();
            foreach (var file in stats.Files)
            {
                var path = Path.Combine(folder, file.File);
                var sha256 = CorpusBuild.Sha256(path);
                if (sha256 != file.Sha256) throw new CliException($"{path} changed after 'corpus build' (sha256 {sha256}, stats.json says {file.Sha256}); rebuild the domain");
                files[file.File] = new JsonObject
                {
                    ["documents"] = file.Documents, ["text_bytes"] = file.TextBytes, ["tokens"] = file.Tokens,
                    ["bytes"] = file.Bytes, ["sha256"] = sha256,
                };
            }
            domains[stats.Domain] = new JsonObject
            {
                ["split_rule"] = stats.SplitRule, ["validation_token_cap"] = stats.ValidationTokenCap,
                ["sources"] = new JsonArray(), ["files"] = files,
            };
        }
        if (sources is not null) AddSources(root, sources, domains);
        return new JsonObject
        {
            ["format"] = "JSON Lines, one {\"id\": string, \"text\": string} object per document (POST /v1/datasets?format=jsonl)",
            ["tokenizer"] = string.Join(", ", tokenizers),
            ["domains"] = domains,
        };
    }

    private static void AddSources(string root, string sources, JsonObject domains)
    {
        foreach (var line in File.ReadAllLines(sources).Where(l => l.Trim().Length > 0))
        {
            var fields = line.Split('\t');
            if (fields.Length != 4) throw new CliException($"{sources}: expected 'domain<TAB>package<TAB>version<TAB>file', got '{line}'");
            if (domains[fields[0]] is not JsonObject domain) continue;
            var path = Path.Combine(root, fields[3]);
            domain["sources"]!.AsArray().Add(new JsonObject
            {
                ["package"] = fields[1], ["version"] = fields[2], ["file"] = fields[3],
                ["bytes"] = new FileInfo(path).Length, ["sha256"] = CorpusBuild.Sha256(path),
            });
        }
    }
}
