using System.Text;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>One argument of a request or macro call, escapes not yet expanded.</summary>
internal readonly record struct RoffArgument(string Raw, bool Quoted);

/// <summary>Splits request and macro lines the way troff does: blanks separate, <c>"…"</c> groups (<c>""</c> is a
/// quote inside), <c>\"</c> starts a comment, and an escape such as <c>\ </c> never splits.</summary>
internal static class RoffArguments
{
    public static List<RoffArgument> Parse(string s)
    {
        var arguments = new List<RoffArgument>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && s[i] is ' ' or '\t') i++;
            if (i >= s.Length || IsComment(s, i)) return arguments;
            var text = new StringBuilder();
            bool quoted = s[i] == '"';
            if (quoted) i++;
            while (i < s.Length)
            {
                char c = s[i];
                if (quoted && c == '"')
                {
                    if (i + 1 < s.Length && s[i + 1] == '"') { text.Append('"'); i += 2; continue; }
                    i++;
                    break;
                }
                if (!quoted && c is ' ' or '\t') break;
                if (c == '\\')
                {
                    if (IsComment(s, i)) { arguments.Add(new RoffArgument(text.ToString(), quoted)); return arguments; }
                    int end = RoffEscapes.SkipEscape(s, i);
                    text.Append(s, i, end - i + 1);
                    i = end + 1;
                    continue;
                }
                text.Append(c);
                i++;
            }
            arguments.Add(new RoffArgument(text.ToString(), quoted));
        }
    }

    /// <summary>Splits off the first word of a request's arguments (a name), returning it and the rest.</summary>
    public static (string Word, string Remainder) FirstWord(string s)
    {
        int start = 0;
        while (start < s.Length && s[start] is ' ' or '\t') start++;
        int end = start;
        while (end < s.Length && s[end] is not (' ' or '\t')) end++;
        int rest = end;
        while (rest < s.Length && s[rest] is ' ' or '\t') rest++;
        return (s[start..end], s[rest..]);
    }

    /// <summary>Cuts a <c>\"</c> comment off a raw line (a <c>\\"</c> is an escaped backslash, not a comment).</summary>
    public static string StripComment(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') continue;
            if (IsComment(s, i)) return s[..i].TrimEnd(' ', '\t');
            i++;
        }
        return s;
    }

    private static bool IsComment(string s, int i) => s[i] == '\\' && i + 1 < s.Length && s[i + 1] is '"' or '#';
}
