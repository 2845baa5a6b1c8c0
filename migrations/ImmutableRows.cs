namespace ModuleService.Migrations;

/// <summary>
/// Database-side guarantee that registry rows are append-only: a trigger on every table raises on UPDATE, DELETE
/// and TRUNCATE, so not even a bug or a hand-written statement can rewrite history. The services never need to
/// (stages are events, archiving is a stage, revocation is a row); a superuser can still disable a trigger
/// deliberately.
/// </summary>
public static class ImmutableRows
{
    /// <summary>Every table of the Initial migration.</summary>
    public static readonly string[] Tables =
    [
        "families", "modules", "module_versions", "blobs", "blob_chunks", "assemblies",
        "stage_events", "audit_entries", "api_keys", "api_key_revocations",
    ];

    const string Function = "registry_refuse_change";

    public static string Up()
    {
        var sql = new System.Text.StringBuilder($"""
            CREATE FUNCTION {Function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'registry rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
                    USING HINT = 'append a new row (version, stage event, revocation) instead';
            END
            $$;

            """);
        foreach (var table in Tables)
        {
            sql.AppendLine($"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {Function}();");
            sql.AppendLine($"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {Function}();");
        }
        return sql.ToString();
    }

    /// <summary>Triggers for tables added by later migrations (the function exists since Initial).</summary>
    public static string Protect(params string[] tables) => string.Concat(tables.Select(table =>
        $"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {Function}();\n" +
        $"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {Function}();\n"));

    /// <summary>Dropping the tables drops their triggers; only the function is left to remove.</summary>
    public static string Down() => $"DROP FUNCTION IF EXISTS {Function}();";
}
