using System.Text;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// Renders one man page (man or mdoc macros, tbl tables) to plain text without groff: one paragraph per line,
/// headings and list tags on their own lines, no page header or footer. A small troff interpreter: strings,
/// registers, conditionals, user macros (<c>.de</c>) and character translations are honoured so that the usual
/// preambles (pod2man, DocBook, rst2man) expand as nroff would; fonts, sizes and motions are dropped. Good
/// enough for language modelling, and deterministic across machines (groff output depends on its version).
/// </summary>
internal sealed partial class RoffRenderer
{
    private const int MaxExpandedLines = 200_000;

    private readonly List<string> lines;
    private readonly TextAssembler output = new();
    private readonly RoffEscapes escapes = new();
    private readonly Dictionary<string, List<string>> macros = new(StringComparer.Ordinal);
    private readonly MdocMacros mdoc;
    private readonly Stack<bool> ieResults = new();
    private int next;
    private int expandedLines;
    private bool headingPending;
    private int? tagIndent;          // set by .TP/.TQ: the next text line is a tag
    private int prevailingIndent = DefaultIndent;
    private string? linkTarget;

    private const int DefaultIndent = 7;

    private RoffRenderer(string source)
    {
        lines = JoinContinuations(source.Replace("\r\n", "\n").Split('\n'));
        mdoc = new MdocMacros(escapes, output);
    }

    /// <summary>The page's text: lines joined by <c>\n</c>, ending in one <c>\n</c>; "" for a page without text.</summary>
    public static string Render(string source)
    {
        var renderer = new RoffRenderer(source);
        while (renderer.next < renderer.lines.Count) renderer.Line(renderer.lines[renderer.next++]);
        return renderer.output.Finish();
    }

    private void Line(string line)
    {
        line = line.Replace("\\}", "");                // closes a conditional block that was taken
        if (line.Length > 0 && line[0] is '.' or '\'') Request(line[1..]);
        else TextLine(line);
    }

    private void TextLine(string line)
    {
        if (line.Trim(' ', '\t').Length == 0)
        {
            output.Paragraph();
            return;
        }
        if (line[0] is ' ' or '\t' && !output.NoFill) output.Break();
        var text = escapes.Expand(line, out bool joinNext);
        output.Text(text, joinNext);
        AfterText();
    }

    /// <summary>A heading or tag waiting for its text ends after the first line that produced some.</summary>
    private void AfterText()
    {
        if (headingPending)
        {
            headingPending = false;
            output.Break();
            output.SuppressSpace();
        }
        if (tagIndent is int indent)
        {
            tagIndent = null;
            if (output.LineLength >= indent) output.Break();
        }
    }

    private void Request(string rest)
    {
        int start = 0;
        while (start < rest.Length && rest[start] is ' ' or '\t') start++;
        int end = start;
        while (end < rest.Length && rest[end] is not (' ' or '\t' or '\\')) end++;
        var name = rest[start..end];
        if (name.Length == 0) return;                  // ".", comments (.\"), a lone ".\}"
        var arguments = rest[end..];
        if (macros.TryGetValue(name, out var body)) { Expand(body, RoffArguments.Parse(arguments)); return; }
        if (!Builtin(name, arguments) && MdocMacros.Handles(name))
        {
            mdoc.Line(name, RoffArguments.Parse(arguments));
            AfterText();
        }
    }

    private string Words(string arguments, string separator) =>
        string.Join(separator, RoffArguments.Parse(arguments).Select(a => escapes.Expand(a.Raw)));

    private void Font(string arguments, string separator)
    {
        if (RoffArguments.Parse(arguments).Count == 0) return;   // applies to the next text line
        output.Text(Words(arguments, separator));
        AfterText();
    }

    private void Heading(string arguments)
    {
        output.Paragraph();
        prevailingIndent = DefaultIndent;
        if (RoffArguments.Parse(arguments).Count == 0) { headingPending = true; return; }
        output.Text(Words(arguments, " "));
        output.Break();
        output.SuppressSpace();
    }

    private int Indent(string? argument)
    {
        if (string.IsNullOrWhiteSpace(argument)) return prevailingIndent;
        double value = RoffConditions.Evaluate(escapes.Expand(argument));
        if (value > 0) prevailingIndent = (int)Math.Ceiling(value);
        return prevailingIndent;
    }

    /// <summary>Inserts a macro's body with its arguments substituted and <c>\\</c> reduced, as copy mode does.</summary>
    private void Expand(List<string> body, List<RoffArgument> arguments)
    {
        expandedLines += body.Count;
        if (expandedLines > MaxExpandedLines) return;   // a recursive macro: stop expanding, keep the text so far
        var expanded = body.Select(line => Substitute(line, arguments)).ToList();
        lines.InsertRange(next, expanded);
    }

    private static string Substitute(string line, List<RoffArgument> arguments)
    {
        var text = new StringBuilder(line.Length);
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] != '\\' || i + 1 >= line.Length) { text.Append(line[i]); continue; }
            int at = line[i + 1] == '\\' ? i + 2 : i + 1;
            if (at < line.Length && line[at] == '$' && at + 1 < line.Length)
            {
                char which = line[at + 1];
                if (char.IsAsciiDigit(which))
                {
                    int index = which - '1';
                    if (index >= 0 && index < arguments.Count) text.Append(arguments[index].Raw);
                }
                else if (which is '*' or '@')
                    text.Append(string.Join(' ', arguments.Select(a => which == '@' ? $"\"{a.Raw}\"" : a.Raw)));
                i = at + 1;
                continue;
            }
            if (line[i + 1] == '\\') { text.Append('\\'); i++; continue; }
            text.Append(line[i]);
        }
        return text.ToString();
    }

    /// <summary>Lines up to the terminator (<c>..</c> or <c>.END</c>); the terminator line is consumed.</summary>
    private List<string> ReadBlock(string terminator)
    {
        var block = new List<string>();
        while (next < lines.Count)
        {
            var line = lines[next++];
            if (line.Length > 0 && line[0] is '.' or '\'' && IsTerminator(line.AsSpan(1), terminator)) break;
            block.Add(line);
        }
        return block;
    }

    private static bool IsTerminator(ReadOnlySpan<char> request, string terminator)
    {
        request = request.TrimStart(" \t");
        if (!request.StartsWith(terminator, StringComparison.Ordinal)) return false;
        var rest = request[terminator.Length..];
        return rest.IsEmpty || rest[0] is ' ' or '\t' or '\\';
    }

    /// <summary>Skips the lines of a conditional block that was not taken, counting nested braces.</summary>
    private void SkipBlock(string body)
    {
        int depth = Count(body, "\\{") - Count(body, "\\}");
        while (depth > 0 && next < lines.Count)
        {
            var line = lines[next++];
            depth += Count(line, "\\{") - Count(line, "\\}");
        }
    }

    private static int Count(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    private void Conditional(string arguments, bool isIe)
    {
        var (holds, body) = RoffConditions.Parse(arguments, escapes, macros.ContainsKey);
        if (isIe) ieResults.Push(holds);
        Branch(holds, body);
    }

    private void Branch(bool taken, string body)
    {
        if (!taken)
        {
            SkipBlock(body);
            return;
        }
        body = body.TrimStart(' ', '\t');
        if (body.StartsWith("\\{", StringComparison.Ordinal)) body = body[2..].TrimStart(' ', '\t');
        if (body.Length > 0) Line(body);
    }

    // troff joins a line that ends in an unescaped backslash with the next one.
    private static List<string> JoinContinuations(string[] source)
    {
        var joined = new List<string>(source.Length);
        var pending = new StringBuilder();
        foreach (var line in source)
        {
            int backslashes = 0;
            while (backslashes < line.Length && line[line.Length - 1 - backslashes] == '\\') backslashes++;
            if (backslashes % 2 == 1) { pending.Append(line, 0, line.Length - 1); continue; }
            pending.Append(line);
            joined.Add(pending.ToString());
            pending.Clear();
        }
        if (pending.Length > 0) joined.Add(pending.ToString());
        return joined;
    }
}
