using Npgsql;

namespace ModuleService.Jobs;

/// <summary>
/// Makes sure a job runs on one worker at a time: a PostgreSQL session advisory lock on the job's id, held on a
/// connection of its own for as long as the job runs. PostgreSQL drops the lock the moment that session ends, so
/// a worker that is killed never leaves a stale lock behind (unlike a lock row with an expiry) and the next worker
/// can resume the job at once.
/// </summary>
public sealed class JobLease : IAsyncDisposable
{
    readonly NpgsqlConnection connection;
    readonly long key;

    JobLease(NpgsqlConnection connection, long key) => (this.connection, this.key) = (connection, key);

    /// <summary>The lease, or null when another live worker holds it.</summary>
    public static async Task<JobLease?> TryAcquireAsync(string connectionString, Guid jobId, CancellationToken ct)
    {
        // Unpooled: a pooled session would outlive Dispose, and with it the lock.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "modsvc job lease" };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            long key = KeyOf(jobId);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            if ((bool)(await command.ExecuteScalarAsync(ct))!) return new JobLease(connection, key);
            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The advisory-lock key space is 64-bit; the job id's first 8 bytes are as unique as we need.</summary>
    static long KeyOf(Guid jobId) => BitConverter.ToInt64(jobId.ToByteArray(), 0);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            await command.ExecuteScalarAsync();
        }
        // The session is gone (server restarted or connection cut), and the lock with it; Npgsql says so either way.
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { }
        await connection.DisposeAsync();
    }
}
