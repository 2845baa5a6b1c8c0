using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Checkpoints;
using Xunit;

namespace ModuleService.Api.Tests.Imports;

/// <summary>The app with small tar limits, so bombs are cheap to build: 8 MB of content, 20 entries.</summary>
public sealed class SmallTarLimitsFixture(PostgresFixture postgres) : ApiFixture(postgres)
{
    public const int MaxEntries = 20;
    public const long MaxBytes = 8_000_000;

    protected override IReadOnlyDictionary<string, string?> FixtureSettings => new Dictionary<string, string?>
    {
        ["Registry:MaxTarBytes"] = MaxBytes.ToString(),
        ["Registry:MaxTarEntries"] = MaxEntries.ToString(),
    };
}

/// <summary>
/// Issue #8: uploaded tars that try to write outside their folder (absolute names, <c>..</c>, links), bombs (huge
/// declared sizes, too much content, too many entries) and broken archives get a 422 naming the entry; nothing
/// is written, neither rows nor files outside the extraction folder.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ImportUploadSafetyTests(SmallTarLimitsFixture api) : IClassFixture<SmallTarLimitsFixture>
{
    static readonly string Escape = Path.Combine(Path.GetTempPath(), $"modsvc-escape-{Guid.NewGuid():N}");

    public static TheoryData<string, string> Archives() => new()
    {
        { "absolute entry name", Escape + "/config.json" },
        { "'..' entry name", "../" + Path.GetFileName(Escape) },
        { "'..' inside a folder", "ckpt/../../" + Path.GetFileName(Escape) },
        { "symbolic link", "ckpt/model.safetensors" },
        { "hard link", "ckpt/model.safetensors" },
        { "declared size of 1 TB", "ckpt/model.safetensors" },
        { "content over the limit", "ckpt/part2.bin" },
        { "too many entries", "ckpt/file20" },
        { "truncated entry", "ckpt/model.safetensors" },
        { "gzip instead of tar", "tar" },
        { "device entry", "ckpt/null" },
    };

    [Theory]
    [MemberData(nameof(Archives))]
    public async Task AHostileOrBrokenTar_Is422NamingTheEntry_AndWritesNothing(string kind, string target)
    {
        var before = await DatabaseState.SnapshotAsync(api);
        using var content = new ByteArrayContent(Build(kind));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");

        var response = await api.Admin.PostAsync("/v1/imports?name=hostile", content);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(target, problem.Target);
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
        Assert.False(File.Exists(Escape) || Directory.Exists(Escape), $"the upload wrote {Escape}");
    }

    [Fact]
    public async Task AHostileTarInAMultipartUpload_IsRefusedTheSameWay()
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("hostile"), "name" },
            { new ByteArrayContent(Build("absolute entry name")), "file", "checkpoint.tar" },
        };

        var problem = await (await api.Admin.PostAsync("/v1/imports", form)).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Equal(Escape + "/config.json", problem.Target);
        Assert.False(Directory.Exists(Escape));
    }

    static byte[] Build(string kind)
    {
        using var folder = Checkpoints.Copy(Checkpoints.Tiny);
        var weights = File.ReadAllBytes(folder.File(CheckpointLoader.SafetensorsFile));
        var config = File.ReadAllBytes(folder.File(CheckpointLoader.ConfigFile));
        return kind switch
        {
            "absolute entry name" => Tar(w => Entry(w, Escape + "/config.json", config)),
            "'..' entry name" => Tar(w => { Entry(w, "ckpt/config.json", config); Entry(w, "../" + Path.GetFileName(Escape), config); }),
            "'..' inside a folder" => Tar(w => Entry(w, "ckpt/../../" + Path.GetFileName(Escape), config)),
            "symbolic link" => Tar(w => { Entry(w, "ckpt/config.json", config); Link(w, TarEntryType.SymbolicLink); }),
            "hard link" => Tar(w => { Entry(w, "ckpt/config.json", config); Link(w, TarEntryType.HardLink); }),
            "declared size of 1 TB" => [.. Tar(w => Entry(w, "ckpt/config.json", config), end: false), .. HeaderOnly("ckpt/model.safetensors", 1L << 40)],
            "content over the limit" => Tar(w =>
            {
                Entry(w, "ckpt/config.json", config);
                Entry(w, "ckpt/part1.bin", new byte[SmallTarLimitsFixture.MaxBytes / 2]);
                Entry(w, "ckpt/part2.bin", new byte[SmallTarLimitsFixture.MaxBytes / 2]);
            }),
            "too many entries" => Tar(w =>
            {
                for (var i = 0; i <= SmallTarLimitsFixture.MaxEntries; i++) Entry(w, $"ckpt/file{i}", []);
            }),
            "truncated entry" => Tar(w => { Entry(w, "ckpt/config.json", config); Entry(w, "ckpt/model.safetensors", weights); })[..(4096 + weights.Length / 2)],
            "gzip instead of tar" => GzipBytes.Of(Checkpoints.Tar(folder.Path)),
            "device entry" => Tar(w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "ckpt/null") { DeviceMajor = 1, DeviceMinor = 3 })),
            _ => throw new ArgumentException(kind),
        };
    }

    static byte[] Tar(Action<TarWriter> build, bool end = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true)) build(writer);
        // TarWriter always ends with two zero blocks; a tar that goes on after them would be read as ended.
        return end ? stream.ToArray() : stream.ToArray()[..^1024];
    }

    static void Entry(TarWriter writer, string name, byte[] data) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });

    static void Link(TarWriter writer, TarEntryType type) =>
        writer.WriteEntry(new PaxTarEntry(type, "ckpt/model.safetensors") { LinkName = "/etc/passwd" });

    /// <summary>
    /// A ustar header that declares <paramref name="size"/> bytes (base-256, as GNU tar writes sizes of 8 GB and
    /// more) and no data after it: a bomb to any reader that trusts headers.
    /// </summary>
    static byte[] HeaderOnly(string name, long size)
    {
        var header = new byte[512];
        void Put(int offset, string text) => Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
        Put(0, name);
        Put(100, "0000644\0");
        Put(108, "0000000\0");
        Put(116, "0000000\0");
        header[124] = 0x80;
        for (var i = 0; i < 8; i++) header[135 - i] = (byte)(size >> (8 * i));
        Put(136, "00000000000\0");
        Put(156, "0");
        Put(257, "ustar\0");
        Put(263, "00");
        Put(148, "        ");
        Put(148, Convert.ToString(header.Sum(b => b), 8).PadLeft(6, '0') + "\0 ");
        return [.. header, .. new byte[1024]];
    }
}
