using Npgsql;

namespace ModuleService.Registry.Hosting;

/// <summary>
/// Tells "the database is not there" (server down, restarting, connection refused or cut) from errors in what we
/// asked of it. An outage is nobody's bug: requests answer 503 and jobs wait for the server instead of failing.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>SQLSTATEs of a server going away: admin shutdown, crash shutdown, cannot connect now.</summary>
    static readonly HashSet<string> ShutdownStates = ["57P01", "57P02", "57P03"];

    /// <summary>True when <paramref name="exception"/> or one it wraps (EF Core, Hangfire) is a lost or refused connection.</summary>
    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // Server errors are an outage only in class 08 (connection exception) or a shutdown; the rest are about the query.
            if (e is PostgresException server) return server.SqlState.StartsWith("08", StringComparison.Ordinal) || ShutdownStates.Contains(server.SqlState);
            // Npgsql raises its own exception only when talking to the server failed: refused, reset, timed out.
            if (e is NpgsqlException) return true;
        }
        return false;
    }

    /// <summary>
    /// Npgsql does not test pooled connections when it hands them out, so after a server restart each idle one would
    /// fail its next command once. Dropping them all after an outage is cheap: new ones open in milliseconds.
    /// </summary>
    public static void ForgetPooledConnections() => NpgsqlConnection.ClearAllPools();

    /// <summary>Returns once a fresh connection to <paramref name="connectionString"/> answers a query; polls every second.</summary>
    public static async Task WaitUntilReachableAsync(string connectionString, CancellationToken ct)
    {
        // Unpooled, so the probe proves the server itself answers, not an idle connection to the old one.
        var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(ct);
                ForgetPooledConnections();
                return;
            }
            catch (Exception e) when (Is(e)) { }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }
}
