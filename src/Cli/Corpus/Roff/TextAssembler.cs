using System.Text;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// Collects rendered text the way an unlimited line length shows it: in fill mode every input line joins the
/// current output line, so a paragraph ends up as one line; breaks end a line and paragraph breaks add one blank
/// line. Lines are trimmed and runs of blanks collapsed (what the groff recipe of data-and-evaluation.md §1.3 does
/// to its output), and blank lines never repeat.
/// </summary>
internal sealed class TextAssembler
{
    private readonly StringBuilder document = new();
    private readonly StringBuilder line = new();
    private bool joinNext;
    private bool blankPending;
    private bool noSpace;

    /// <summary>No-fill mode (<c>.nf</c>, <c>.EX</c>): every input line is an output line.</summary>
    public bool NoFill { get; set; }

    /// <summary>Characters on the current output line (for the tag-width rule of <c>.TP</c>/<c>.IP</c>).</summary>
    public int LineLength => line.Length;

    /// <param name="text">one input line's expanded text.</param>
    /// <param name="joinNext">the line ended in <c>\c</c>: the next text continues this word.</param>
    public void Text(string text, bool joinNext = false)
    {
        if (line.Length > 0 && !this.joinNext && text.Length > 0) line.Append(' ');
        line.Append(text);
        if (text.Length > 0) noSpace = false;
        this.joinNext = joinNext;
        if (NoFill && !joinNext) Break();
    }

    /// <summary>Appends to the current line without the separating blank (tags, link targets, punctuation).</summary>
    public void Append(string text) => line.Append(text);

    /// <summary>No blank line until the next text (<c>.ns</c>): a heading is never followed by an empty line.</summary>
    public void SuppressSpace() => noSpace = true;

    /// <summary>Ends the current output line (<c>.br</c>).</summary>
    public void Break()
    {
        joinNext = false;
        var text = Clean(line);
        line.Clear();
        if (text.Length == 0) return;
        if (blankPending && document.Length > 0) document.Append('\n');
        blankPending = false;
        document.Append(text).Append('\n');
    }

    /// <summary>Ends the line and leaves one blank line before the next text (<c>.PP</c>, <c>.sp</c>, a blank input line).</summary>
    public void Paragraph()
    {
        Break();
        blankPending |= !noSpace;
    }

    /// <summary>The document: lines joined by <c>\n</c>, ending in one <c>\n</c> (empty if there was no text).</summary>
    public string Finish()
    {
        Break();
        return document.ToString();
    }

    private static string Clean(StringBuilder text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (char c in text.ToString())
        {
            char blank = c is '\t' or '\u00A0' ? ' ' : c;
            if (blank == ' ' && (cleaned.Length == 0 || cleaned[^1] == ' ')) continue;
            cleaned.Append(blank);
        }
        return cleaned.ToString().TrimEnd(' ');
    }
}
