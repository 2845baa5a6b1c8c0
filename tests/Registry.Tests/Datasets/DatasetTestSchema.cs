using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>
/// TEMPORARY, until the migration that adds the datasets tables exists: creates <c>datasets</c> and
/// <c>dataset_statistics</c> in a migrated test database from EF's own create script (so they match the model
/// exactly), plus the append-only triggers every registry table has. Once the migration exists the tables are there
/// and this does nothing; then delete it and its calls.
/// </summary>
public static class DatasetTestSchema
{
    static readonly string[] Tables = ["datasets", "dataset_statistics"];
    static readonly ConcurrentDictionary<string, Lazy<Task>> Done = new();

    public static Task EnsureAsync(RegistryDbContext db) =>
        Done.GetOrAdd(db.Database.GetConnectionString()!, _ => new Lazy<Task>(() => CreateAsync(db))).Value;

    static async Task CreateAsync(RegistryDbContext db)
    {
        var exists = await db.Database.SqlQueryRaw<bool>("SELECT to_regclass('datasets') IS NOT NULL AS \"Value\"").SingleAsync();
        if (exists) return;
        var statements = db.Database.GenerateCreateScript()
            .Split(";", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => Tables.Any(t => s.StartsWith($"CREATE TABLE {t} (", StringComparison.Ordinal) || s.Contains($" ON {t} (", StringComparison.Ordinal)));
        var triggers = Tables.Select(t => $"""
            CREATE TRIGGER {t}_immutable BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
            CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_change()
            """);
        var sql = string.Join(";\n", statements.Concat(triggers));
        await db.Database.ExecuteSqlRawAsync(sql);
    }
}
