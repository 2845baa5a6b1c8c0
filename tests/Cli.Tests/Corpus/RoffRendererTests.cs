using ModuleService.Cli.Corpus.Roff;
using Xunit;

namespace ModuleService.Cli.Tests.Corpus;

/// <summary>The roff-to-text renderer against small pages whose groff rendering is known.</summary>
public sealed class RoffRendererTests
{
    private static string Render(params string[] lines) => RoffRenderer.Render(string.Join('\n', lines));

    [Fact]
    public void FontsEscapesAndCommentsLeaveOnlyText()
    {
        var text = Render(
            ".\\\" a comment",
            ".TH CHGRP 1 \"September 2022\" \"GNU coreutils 9.1\"",
            ".SH BEZEICHNUNG",
            "chgrp \\- Gruppenzugeh\\(:origkeit \\fB\\%\\&ändern\\fP \\f[I]jetzt\\f[] \\(em \\[u00E4] \\*(lqok\\*(rq \\s-1klein\\s0 \\e",
            "zweite Zeile \\(bu Ende");
        Assert.Equal("BEZEICHNUNG\nchgrp - Gruppenzugehörigkeit ändern jetzt — ä “ok” klein \\ zweite Zeile • Ende\n", text);
    }

    [Fact]
    public void ParagraphsBecomeLinesAndHeadingsHaveNoBlankAfter()
    {
        var text = Render(".SH BESCHREIBUNG", ".PP", "Erster", "Absatz.", ".PP", "Zweiter", ".br", "Zeile", "", "Dritter");
        Assert.Equal("BESCHREIBUNG\nErster Absatz.\n\nZweiter\nZeile\n\nDritter\n", text);
    }

    [Fact]
    public void ShortTagsShareTheLineLongTagsGetTheirOwn()
    {
        var text = Render(".TP", "\\fB\\-H\\fP", "Links durchlaufen", ".TP", "\\fB\\-\\-version\\fP", "Version ausgeben", ".IP \\(bu 2", "Punkt");
        Assert.Equal("-H Links durchlaufen\n\n--version\nVersion ausgeben\n\n• Punkt\n", text);
    }

    [Fact]
    public void NoFillKeepsLinesAndFontMacrosJoinArguments()
    {
        var text = Render(".nf", "a  b", "c", ".fi", ".BR ls (1),", ".B \"eins zwei\" drei", "frei");
        Assert.Equal("a b\nc\nls(1), eins zwei drei frei\n", text);
    }

    [Fact]
    public void ConditionalsStringsAndUserMacrosExpandAsNroffWould()
    {
        var text = Render(
            ".ie \\n(.g .ds Aq \\(aq",
            ".el       .ds Aq '",
            ".if t \\{\\",
            "Nur im Satz",
            ".\\}",
            ".if n \\{\\",
            "Nur am Terminal",
            ".\\}",
            ".de URL",
            "\\\\$2 <\\\\$1>\\\\$3",
            "..",
            "It\\*(Aqs",
            ".URL https://example.org \"Ein Link\" .");
        Assert.Equal("Nur am Terminal It's Ein Link <https://example.org>.\n", text);
    }

    [Fact]
    public void TablesRenderOneRowPerLine()
    {
        var text = Render(".TS", "allbox tab(:);", "lB lB.", "T{", "Kennzeichner", "T}:T{", "Bedeutung", "T}", ".T&", "l l.", "\"%a\":Architektur", "_", ".TE");
        Assert.Equal("Kennzeichner Bedeutung\n\"%a\" Architektur\n", text);
    }

    [Fact]
    public void LinksShowTheirTarget()
    {
        var text = Render("Hilfe:", ".UR https://www.gnu.org/", ".UE .");
        Assert.Equal("Hilfe: ⟨https://www.gnu.org/⟩.\n", text);
    }

    [Fact]
    public void MdocMacrosRenderLikeGroffMandoc()
    {
        var text = Render(
            ".Dd 31. Juli 1999", ".Dt BIFF 1", ".Os", ".Sh BEZEICHNUNG", ".Nm biff", ".Nd \"informiert werden\"",
            ".Sh ÜBERSICHT", ".Nm", ".Op Fl n Ar datei", ".Sh BESCHREIBUNG", "Siehe", ".Xr comsat 8 .",
            ".Bl -tag -width 4n", ".It Cm y", "Aktiviert.", ".El", "Seit", ".Bx 4.0 ,", ".Dq Zitat .");
        Assert.Equal("BEZEICHNUNG\nbiff — informiert werden\n\nÜBERSICHT\nbiff [-n datei]\n\nBESCHREIBUNG\nSiehe comsat(8).\n\ny Aktiviert.\n\nSeit 4.0BSD, “Zitat”.\n", text);
    }

    [Fact]
    public void PageWithoutTextRendersEmpty() => Assert.Equal("", Render(".so man1/other.1", ".\\\" nothing else"));
}
