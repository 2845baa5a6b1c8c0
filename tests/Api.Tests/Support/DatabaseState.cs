using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModuleService.Registry;
using Npgsql;

namespace ModuleService.Api.Tests.Support;

/// <summary>
/// Row counts of every table of the app (the registry's via <see cref="ApiFixture.CountRowsAsync"/>, plus datasets,
/// jobs and Hangfire's job table) and the number of files in the blob cache: "nothing written" means all equal.
/// </summary>
public static class DatabaseState
{
    public static async Task<SortedDictionary<string, long>> SnapshotAsync(ApiFixture api)
    {
        var counts = new SortedDictionary<string, long>(await api.CountRowsAsync(), StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables WHERE table_type = 'BASE TABLE' " +
            "AND (table_schema = 'public' OR (table_schema = 'hangfire' AND table_name = 'job'))", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        foreach (var table in tables.Where(t => !counts.ContainsKey(t.StartsWith("public.", StringComparison.Ordinal) ? t["public.".Length..] : t)))
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            counts[table] = (long)(await count.ExecuteScalarAsync())!;
        }
        var cache = api.Factory.Services.GetRequiredService<IOptions<RegistryOptions>>().Value.CacheDirectory!;
        counts["blob cache files"] = Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Count() : 0;
        return counts;
    }

    public static string Difference(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        string.Join(", ", before.Keys.Union(after.Keys).Order()
            .Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Select(k => $"{k}: {before.GetValueOrDefault(k)} → {after.GetValueOrDefault(k)}"));
}
