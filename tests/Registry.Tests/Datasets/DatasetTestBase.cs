using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Tests.Support;
using Npgsql;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>
/// The registry on a class database, with 1 KiB blob chunks (so small uploads span
/// many chunk rows) and a 200 kB upload limit (so "too large" is cheap to reach).
/// </summary>
public abstract class DatasetTestBase(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    protected const long UploadLimit = 200_000;
    static readonly string[] DatasetTables = ["datasets", "dataset_statistics"];

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("Registry:ChunkSize", "1024"), new("Datasets:MaxUploadBytes", UploadLimit.ToString())];

    protected DatasetStore Datasets => Get<DatasetStore>();

    /// <summary>Uploads through a fresh scope and a one-pass stream, as an HTTP request would.</summary>
    protected async Task<(DatasetView Dataset, bool Created)> UploadAsync(string name, DatasetFormat format, byte[] content, bool gzip = false)
    {
        await using var scope = NewScope();
        await using var body = new OnePassStream(content);
        return await scope.ServiceProvider.GetRequiredService<DatasetStore>().UploadAsync(name, format, body, gzip, Actor, default);
    }

    protected Task<(DatasetView Dataset, bool Created)> UploadAsync(string name, DatasetFormat format, string content) =>
        UploadAsync(name, format, Encoding.UTF8.GetBytes(content));

    /// <summary>Row counts of the registry tables and the datasets tables, to prove a rejected upload wrote nothing.</summary>
    protected async Task<Dictionary<string, long>> CountAllRowsAsync()
    {
        var counts = await CountRowsAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        foreach (var table in DatasetTables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    protected async Task<List<string>> ReadDocumentsAsync(Guid id)
    {
        await using var scope = NewScope();
        var documents = new List<string>();
        await foreach (var document in scope.ServiceProvider.GetRequiredService<DatasetStore>().ReadDocumentsAsync(id, default))
            documents.Add(document);
        return documents;
    }

    protected static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(content);
        return output.ToArray();
    }

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A request body: readable once, not seekable, length unknown.</summary>
    protected sealed class OnePassStream(byte[] content) : MemoryStream(content, writable: false)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
