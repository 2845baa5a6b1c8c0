using System.IO.Compression;
using System.Text;
using ModuleService.Cli.Corpus;
using Xunit;

namespace ModuleService.Cli.Tests.Corpus;

/// <summary>The corpus verb end to end on a tiny SWORD module, its usage errors, and the committed excerpts.</summary>
public sealed class CorpusCommandTests
{
    [Theory]
    [InlineData("corpus")]
    [InlineData("corpus", "frobnicate")]
    [InlineData("corpus", "build", "--source", "x", "--out", "y")]
    [InlineData("corpus", "build", "--domain", "klingon", "--source", "x", "--out", "y")]
    [InlineData("corpus", "excerpt", "--from", "x", "--out", "y", "--documents", "0")]
    public void WrongUsageExitsWith2(params string[] args)
    {
        var result = CliRun.App(args);
        Assert.Equal(2, result.ExitCode);
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public void HelpListsTheSubcommands()
    {
        var result = CliRun.App("corpus", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage: modsvc corpus", result.Stdout);
    }

    [Fact]
    public void BuildWritesSplitsStatsAndManifestForABible()
    {
        var root = Directory.CreateTempSubdirectory("modsvc-sword-").FullName;
        try
        {
            var module = Directory.CreateDirectory(Path.Combine(root, "source/usr/share/sword/modules/texts/ztext/test")).FullName;
            WriteZText(module, "nt",
                "<milestone type=\"x-importer\"/>",
                "<div osisID=\"Matt\" sID=\"b1\" type=\"book\"/><title type=\"main\">Matthew</title><chapter sID=\"Matt.1\"/>The book<note placement=\"foot\">a note</note><w>of</w> &amp; generations.<div eID=\"b1\" type=\"book\"/>",
                "<div osisID=\"Mark\" sID=\"b2\" type=\"book\"/><title>Mark</title><chapter sID=\"Mark.1\"/>The beginning.");
            var output = Path.Combine(root, "es-bible");

            var result = CliRun.App("corpus", "build", "--domain", "es-bible", "--source", Path.Combine(root, "source"), "--out", output);

            Assert.True(result.ExitCode == 0, result.Stderr);
            var documents = DocumentFile.Read(Path.Combine(output, "documents.jsonl"));
            Assert.Equal(["Matt", "Mark"], documents.Select(d => d.Id));
            Assert.Equal("Matthew\nThe book of & generations.\n", documents[0].Text);
            foreach (var file in CorpusBuild.Files) Assert.True(File.Exists(Path.Combine(output, file)), file);

            var manifest = CliRun.App("corpus", "manifest", "--root", root);
            Assert.True(manifest.ExitCode == 0, manifest.Stderr);
            var files = manifest.Json().RootElement.GetProperty("domains").GetProperty("es-bible").GetProperty("files");
            Assert.Equal(2, files.GetProperty("documents.jsonl").GetProperty("documents").GetInt32());
            Assert.Equal(CorpusBuild.Sha256(Path.Combine(output, "train.jsonl")), files.GetProperty("train.jsonl").GetProperty("sha256").GetString());
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    public static TheoryData<string> MainDomains() => new("en-books", "py-code", "de-man");

    [Theory]
    [MemberData(nameof(MainDomains))]
    public void CommittedExcerptsHaveSeveralDocumentsAndAValidationSplit(string domain)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "excerpts", domain);
        var train = DocumentFile.Read(Path.Combine(folder, "train.jsonl"));
        var validation = DocumentFile.Read(Path.Combine(folder, "validation.jsonl"));
        Assert.True(train.Count >= 8, $"{domain}: {train.Count} train documents");
        Assert.True(validation.Count >= 4, $"{domain}: {validation.Count} validation documents");
        long bytes = train.Concat(validation).Sum(d => (long)Encoding.UTF8.GetByteCount(d.Text));
        Assert.InRange(bytes, 60_000, 120_000);
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "excerpts", "LICENSES.md")));
    }

    // A zText testament: *.bzs records (offset, size, uncompressed size) pointing at zlib blocks in *.bzz.
    private static void WriteZText(string module, string testament, params string[] blocks)
    {
        using var index = new BinaryWriter(File.Create(Path.Combine(module, testament + ".bzs")));
        using var data = File.Create(Path.Combine(module, testament + ".bzz"));
        foreach (var block in blocks)
        {
            var bytes = Encoding.UTF8.GetBytes(block);
            var compressed = new MemoryStream();
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(bytes);
            index.Write((uint)data.Position);
            index.Write((uint)compressed.Length);
            index.Write((uint)bytes.Length);
            data.Write(compressed.ToArray());
        }
    }
}
