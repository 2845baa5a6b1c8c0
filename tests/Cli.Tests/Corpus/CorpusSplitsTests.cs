using ModuleService.Cli.Corpus;
using Xunit;

namespace ModuleService.Cli.Tests.Corpus;

/// <summary>The document splits of data-and-evaluation.md §1.4 and the validation cap.</summary>
public sealed class CorpusSplitsTests
{
    // A stand-in tokenizer: one token per word.
    private static int Words(string text) => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length;

    private static List<CorpusDocument> Files(int count) =>
        Enumerable.Range(0, count).Select(i => new CorpusDocument($"f{i:D3}", $"file {i}\n")).ToList();

    [Fact]
    public void ModuloRuleSendsIndex0And1Of20ToValidationAndTest()
    {
        var split = CorpusSplits.Split(Files(45), SplitRule.Modulo, Words, long.MaxValue);
        Assert.Equal(["f000", "f020", "f040"], split.Validation.Select(d => d.Id));
        Assert.Equal(["f001", "f021", "f041"], split.Test.Select(d => d.Id));
        Assert.Equal(39, split.Train.Count);
        Assert.DoesNotContain(split.Train, d => d.Id is "f000" or "f001");
    }

    [Fact]
    public void TailRuleCutsEachBookAtLineStartsAfter90And95Percent()
    {
        var book = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i:D2}\n"));    // 100 lines of 8 characters
        var split = CorpusSplits.Split([new CorpusDocument("book", book)], SplitRule.Tail, Words, long.MaxValue);
        Assert.StartsWith("line 00\n", split.Train[0].Text);
        Assert.EndsWith("line 89\n", split.Train[0].Text);
        Assert.Equal(string.Concat(Enumerable.Range(90, 5).Select(i => $"line {i}\n")), split.Test[0].Text);
        Assert.Equal(string.Concat(Enumerable.Range(95, 5).Select(i => $"line {i}\n")), split.Validation[0].Text);
        Assert.Equal(book, split.Train[0].Text + split.Test[0].Text + split.Validation[0].Text);
    }

    [Fact]
    public void CapKeepsEveryValidationDocumentsLeadingLinesWithinItsShare()
    {
        var validation = new List<CorpusDocument>
        {
            new("a", "one two three\nfour five six\nseven eight nine\nten\n"),     // 10 words
            new("b", "alpha beta\ngamma delta\nepsilon zeta\neta theta\niota kappa\n"), // 10 words
        };
        var capped = CorpusSplits.Cap(validation, Words, 10);

        Assert.Equal(["a", "b"], capped.Select(d => d.Id));
        Assert.Equal("one two three\n", capped[0].Text);                    // share 5: a second line would make 6
        Assert.Equal("alpha beta\ngamma delta\n", capped[1].Text);
        Assert.True(capped.Sum(d => Words(d.Text)) <= 10);
        Assert.Same(validation, CorpusSplits.Cap(validation, Words, 20));    // under the cap nothing changes
    }

    [Fact]
    public void CapNeverChangesTrain()
    {
        var files = Files(60);
        var uncapped = CorpusSplits.Split(files, SplitRule.Modulo, Words, long.MaxValue);
        var capped = CorpusSplits.Split(files, SplitRule.Modulo, Words, 2);
        Assert.Equal(uncapped.Train, capped.Train);
        Assert.Equal(uncapped.Test, capped.Test);
        Assert.True(capped.Validation.Sum(d => Words(d.Text)) <= 2);
    }

    [Fact]
    public void ExcerptsSpreadOverTheSplitWithinTheByteBudget()
    {
        var documents = Enumerable.Range(0, 10).Select(i => new CorpusDocument($"d{i}", string.Concat(Enumerable.Repeat($"doc {i} line\n", 50)))).ToList();
        var excerpt = CorpusExcerpts.Select(documents, 300, 4);
        Assert.Equal(["d0", "d2", "d5", "d7"], excerpt.Select(d => d.Id));
        Assert.All(excerpt, d => Assert.EndsWith("line\n", d.Text));
        Assert.True(excerpt.Sum(d => d.Text.Length) <= 300);
    }
}
