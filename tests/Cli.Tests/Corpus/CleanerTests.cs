using System.Text;
using ModuleService.Cli.Corpus;
using Xunit;

namespace ModuleService.Cli.Tests.Corpus;

/// <summary>en-books and py-code cleaning on small folders laid out like the extracted packages.</summary>
public sealed class CleanerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("modsvc-corpus-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private void Write(string path, string text, Encoding? encoding = null)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, (encoding ?? new UTF8Encoding(false)).GetBytes(text));
    }

    [Fact]
    public void ChestertonBallLosesItsGutenbergTrailer()
    {
        var text = "[The Ball and The Cross by G.K. Chesterton 1909]\n\nThe end of the story.\n\n\nEnd of Project Gutenberg's The Ball and The Cross, by G.K. Chesterton\n\n*** END OF THE PROJECT GUTENBERG EBOOK ***\n";
        Assert.Equal("[The Ball and The Cross by G.K. Chesterton 1909]\n\nThe end of the story.\n", GutenbergBooks.Clean("chesterton-ball", text));
        Assert.Equal(text.TrimEnd() + "\n", GutenbergBooks.Clean("chesterton-brown", text));    // only that book is cut
    }

    [Fact]
    public void MissingTrailerLineIsAnError()
    {
        var error = Assert.Throws<CliException>(() => GutenbergBooks.Clean("chesterton-ball", "no trailer here\n"));
        Assert.Contains("chesterton-ball", error.Message);
    }

    [Fact]
    public void BooksSkipTheKjvDecodeLatin1AndNormaliseLineEndings()
    {
        Write("package/gutenberg/bible-kjv.txt", "[The King James Bible]\n");
        Write("package/gutenberg/shakespeare-caesar.txt", "[Caesar]\r\nAnt. C\u00e6sar, my Lord\r\n", Encoding.Latin1);
        Write("package/gutenberg/austen-emma.txt", "[Emma]\n\n");
        Write("package/gutenberg/README", "not a book");
        var books = GutenbergBooks.Read(root).ToList();
        Assert.Equal(["austen-emma", "shakespeare-caesar"], books.Select(b => b.Id));
        Assert.Equal("[Caesar]\nAnt. Cæsar, my Lord\n", books[1].Text);
        Assert.Equal("[Emma]\n", books[0].Text);
    }

    [Theory]
    [InlineData("email/utils.py", true)]
    [InlineData("asyncio/__init__.py", true)]
    [InlineData("encodings/cp1252.py", false)]
    [InlineData("pydoc_data/topics.py", false)]
    [InlineData("pydoc_data/__init__.py", true)]
    [InlineData("idlelib/editor.py", false)]
    [InlineData("lib2to3/main.py", false)]
    [InlineData("ensurepip/__init__.py", false)]
    [InlineData("_sysconfigdata__x86_64-linux-gnu.py", false)]
    [InlineData("LICENSE.txt", false)]
    public void PythonExclusions(string path, bool included) => Assert.Equal(included, PythonSources.IsIncluded(path));

    [Fact]
    public void PythonFilesAreRegularNonEmptyAndInOrdinalOrder()
    {
        const string lib = "usr/lib/python3.11/";
        Write(lib + "os.py", "import sys\n");
        Write(lib + "email/utils.py", "def f():\n    return 1");
        Write(lib + "email/__init__.py", "");
        Write(lib + "Zebra.py", "z = 1\n");
        Write(lib + "encodings/cp1252.py", "table = 1\n");
        File.CreateSymbolicLink(Path.Combine(root, lib + "link.py"), Path.Combine(root, lib + "os.py"));
        File.CreateSymbolicLink(Path.Combine(root, lib + "dangling.py"), "/nonexistent/file.py");

        var files = PythonSources.Read(root).ToList();

        Assert.Equal(["Zebra.py", "email/utils.py", "os.py"], files.Select(f => f.Id));
        Assert.Equal("def f():\n    return 1\n", files[1].Text);
    }
}
