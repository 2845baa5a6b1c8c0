using System.Security.Cryptography;
using Npgsql;
using Xunit;

namespace ModuleService.Api.Tests.Faults;

/// <summary>What a fault must not damage: the registry's row counts and every blob's bytes, read straight from PostgreSQL.</summary>
internal static class StoredData
{
    public sealed record Counts(long ModuleVersions, long Assemblies, long Blobs);

    public static async Task<Counts> CountAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        async Task<long> Count(string table)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        return new Counts(await Count("module_versions"), await Count("assemblies"), await Count("blobs"));
    }

    /// <summary>
    /// Concatenates each blob's chunks in order and checks size, chunk count and sha256 against its row (the bytes
    /// the app would serve, without its node cache in between).
    /// </summary>
    /// <returns>how many blobs were checked, and a line for each damaged one.</returns>
    public static async Task<(int Checked, List<string> Damaged)> CheckEveryBlobAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var blobs = new List<(string Sha, long Size, int Chunks)>();
        await using (var list = new NpgsqlCommand("SELECT sha256, size, chunk_count FROM blobs", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) blobs.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
        var damaged = new List<string>();
        foreach (var (sha, size, chunks) in blobs)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            int count = 0;
            await using var read = new NpgsqlCommand("SELECT data FROM blob_chunks WHERE blob_sha256 = $1 ORDER BY index", connection)
                { Parameters = { new() { Value = sha } } };
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var data = (byte[])reader[0];
                hash.AppendData(data);
                (length, count) = (length + data.Length, count + 1);
            }
            if ((chunks, size) != (count, length))
                damaged.Add($"blob {sha}: {count} chunks and {length} bytes stored, {chunks} and {size} recorded");
            else if (Convert.ToHexStringLower(hash.GetHashAndReset()) != sha)
                damaged.Add($"blob {sha}: its bytes do not hash to it");
        }
        return (blobs.Count, damaged);
    }

    /// <summary><see cref="CheckEveryBlobAsync"/>, failing on the first damaged blob; returns how many were checked.</summary>
    public static async Task<int> AssertEveryBlobMatchesItsHashAsync(string connectionString)
    {
        var (count, damaged) = await CheckEveryBlobAsync(connectionString);
        Assert.True(damaged.Count == 0, string.Join("; ", damaged));
        return count;
    }
}
