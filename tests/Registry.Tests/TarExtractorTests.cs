using System.Formats.Tar;
using System.Text;
using ModuleService.Registry.Imports;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests;

/// <summary>Upload safety; no database needed.</summary>
public sealed class TarExtractorTests
{
    [Theory]
    [InlineData("/etc/evil")]
    [InlineData("../evil")]
    [InlineData("ckpt/../../evil")]
    public async Task EscapingNames_AreRejected(string name)
    {
        var error = await ExtractAsync(w => AddFile(w, name, "x"));
        Assert.Equal(name, error.Target);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    public async Task Links_AreRejected(TarEntryType type)
    {
        var error = await ExtractAsync(w => w.WriteEntry(new PaxTarEntry(type, "ckpt/model.safetensors") { LinkName = "/etc/passwd" }));
        Assert.Equal("ckpt/model.safetensors", error.Target);
    }

    [Fact]
    public async Task OversizedContent_IsRejectedBeforeWriting()
    {
        using var dir = new TempDir();
        var error = await ExtractAsync(w => AddFile(w, "ckpt/config.json", new string('x', 2000)), dir.Path, maxBytes: 1000);
        Assert.Contains("exceeds", error.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "ckpt", "config.json")));
    }

    [Fact]
    public async Task CheckpointFolder_IsFoundAtRootOrInOneTopLevelFolder()
    {
        using var dir = new TempDir();
        using var tar = Build(w => { AddFile(w, "./ckpt/config.json", "{}"); AddFile(w, "ckpt/model.safetensors", "x"); });
        var folder = await TarExtractor.ExtractAsync(tar, dir.Path, 1 << 20, 100, default);
        Assert.Equal(Path.Combine(dir.Path, "ckpt"), folder);
    }

    static async Task<InvalidModuleOperationException> ExtractAsync(Action<TarWriter> build, string? destination = null, long maxBytes = 1 << 20)
    {
        using var dir = new TempDir();
        using var tar = Build(build);
        return await Assert.ThrowsAsync<InvalidModuleOperationException>(
            () => TarExtractor.ExtractAsync(tar, destination ?? dir.Path, maxBytes, 100, default));
    }

    static MemoryStream Build(Action<TarWriter> build)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true)) build(writer);
        stream.Position = 0;
        return stream;
    }

    static void AddFile(TarWriter writer, string name, string content) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
}
