using System.Text;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// The part of BSD mdoc that carries text: callable inline macros (<c>.Fl</c>, <c>.Ar</c>, <c>.Xr</c>, quotes and
/// brackets, <c>.Ns</c>, …), lists (<c>.Bl/.It/.El</c>), displays and the NAME line. Page headers, keeps and
/// the English boilerplate of <c>.Ex</c>/<c>.Rv</c> are left out; unknown macros print their arguments.
/// </summary>
internal sealed class MdocMacros(RoffEscapes escapes, TextAssembler output)
{
    private static readonly Dictionary<string, (string Open, string Close)> Enclosures = new(StringComparer.Ordinal)
    {
        ["Dq"] = ("\u201C", "\u201D"), ["Qq"] = ("\"", "\""), ["Sq"] = ("\u2018", "\u2019"), ["Ql"] = ("\u2018", "\u2019"),
        ["Pq"] = ("(", ")"), ["Bq"] = ("[", "]"), ["Brq"] = ("{", "}"), ["Aq"] = ("\u27E8", "\u27E9"), ["Op"] = ("[", "]"),
    };

    private static readonly Dictionary<string, string> Openers = new(StringComparer.Ordinal)
    {
        ["Do"] = "\u201C", ["Qo"] = "\"", ["So"] = "\u2018", ["Po"] = "(", ["Bo"] = "[", ["Bro"] = "{", ["Ao"] = "\u27E8", ["Oo"] = "[",
    };

    private static readonly Dictionary<string, string> Closers = new(StringComparer.Ordinal)
    {
        ["Dc"] = "\u201D", ["Qc"] = "\"", ["Sc"] = "\u2019", ["Pc"] = ")", ["Bc"] = "]", ["Brc"] = "}", ["Ac"] = "\u27E9", ["Oc"] = "]",
    };

    private static readonly Dictionary<string, string> Systems = new(StringComparer.Ordinal)
    {
        ["Ux"] = "UNIX", ["Bx"] = "BSD", ["Ox"] = "OpenBSD", ["Fx"] = "FreeBSD", ["Nx"] = "NetBSD", ["Dx"] = "DragonFly",
        ["Bsx"] = "BSD/OS", ["At"] = "AT&T UNIX",
    };

    // Macros that produce their arguments as plain words (fonts and semantic markup only).
    private static readonly HashSet<string> Plain =
    [
        "Ad", "An", "Ar", "Cd", "Cm", "Dv", "Em", "Er", "Ev", "Fa", "Ft", "Ic", "Li", "Ms", "No", "Pa", "Sx", "Sy", "Tn",
        "Va", "Vt", "Lb", "Mt", "Ot", "%A", "%B", "%C", "%D", "%I", "%J", "%N", "%O", "%P", "%Q", "%R", "%T", "%U", "%V",
    ];

    private static readonly HashSet<string> Silent = ["Dd", "Dt", "Os", "Bk", "Ek", "Sm", "Ex", "Rv", "Ud", "Bt", "Rs", "Re", "Xc", "Xo", "Bf", "Ef", "Db"];

    private readonly Stack<(string Type, int Width)> lists = new();
    private string pageName = "";
    private bool itemTagOpen;

    public static bool Handles(string name) =>
        Plain.Contains(name) || Silent.Contains(name) || Enclosures.ContainsKey(name) || Openers.ContainsKey(name)
        || Closers.ContainsKey(name) || Systems.ContainsKey(name)
        || name is "Nm" or "Nd" or "Fl" or "Xr" or "Ns" or "Pf" or "Ta" or "Lk" or "Fn" or "In" or "St" or "Bl" or "El"
            or "It" or "Bd" or "Ed" or "D1" or "Dl";

    public void Line(string name, List<RoffArgument> arguments)
    {
        switch (name)
        {
            case "Bl":
                lists.Push((ListType(arguments), ListWidth(arguments)));
                output.Break();
                return;
            case "El":
                if (lists.Count > 0) lists.Pop();
                output.Paragraph();
                return;
            case "It":
                Item(arguments);
                return;
            case "Bd":
                output.Paragraph();
                output.NoFill = arguments.Any(a => a.Raw is "-literal" or "-unfilled");
                return;
            case "Ed":
                output.Break();
                output.NoFill = false;
                return;
            case "D1" or "Dl":
                output.Break();
                output.Text(Inline(arguments));
                output.Break();
                return;
            case "Nd":
                output.Text("\u2014 " + Inline(arguments));
                return;
            case "Xc":
                EndItemTag();
                return;
            case "Rs":
                output.Break();
                return;
        }
        if (Silent.Contains(name)) return;
        output.Text(Inline([new RoffArgument(name, false), .. arguments]));
    }

    private void Item(List<RoffArgument> arguments)
    {
        var (type, width) = lists.Count > 0 ? lists.Peek() : ("tag", 6);
        output.Paragraph();
        switch (type)
        {
            case "bullet": output.Text("\u2022"); return;
            case "dash" or "hyphen": output.Text("-"); return;
            case "enum": output.Text("#"); return;
            case "item": return;
        }
        output.Text(Inline(arguments));
        itemTagOpen = true;
        if (arguments.Any(a => !a.Quoted && a.Raw == "Xo")) return;    // the tag continues until .Xc
        EndItemTag(width);
    }

    private void EndItemTag(int width = 6)
    {
        if (!itemTagOpen) return;
        itemTagOpen = false;
        var (type, listWidth) = lists.Count > 0 ? lists.Peek() : ("tag", width);
        if (type is "ohang" or "diag" || output.LineLength >= listWidth) output.Break();
    }

    /// <summary>One macro line's words with mdoc spacing: closing punctuation attaches left, opening right.</summary>
    public string Inline(IReadOnlyList<RoffArgument> arguments)
    {
        var words = new InlineWords();
        Run(arguments, 0, arguments.Count, words);
        return words.ToString();
    }

    private void Run(IReadOnlyList<RoffArgument> a, int start, int end, InlineWords words)
    {
        int i = start;
        while (i < end)
        {
            var token = a[i];
            string name = token.Quoted ? "" : token.Raw;
            i++;
            if (Enclosures.TryGetValue(name, out var pair))
            {
                int last = end;
                while (last > i && IsClosing(a[last - 1])) last--;
                words.Open(pair.Open);
                Run(a, i, last, words);
                words.Close(pair.Close);
                i = last;
            }
            else if (Openers.TryGetValue(name, out var open)) words.Open(open);
            else if (Closers.TryGetValue(name, out var close)) words.Close(close);
            else if (name == "Fl")
            {
                if (i >= end || IsMacro(a[i]) || IsClosing(a[i])) words.Word("-");
                while (i < end && !IsMacro(a[i]) && !IsClosing(a[i])) words.Word("-" + Expand(a[i++]));
            }
            else if (name == "Xr")
            {
                var page = i < end ? Expand(a[i++]) : "";
                words.Word(i < end && !IsMacro(a[i]) && !IsClosing(a[i]) ? $"{page}({Expand(a[i++])})" : page);
            }
            else if (name == "Nm")
            {
                if (i < end && !IsMacro(a[i]) && !IsClosing(a[i]))
                {
                    if (pageName.Length == 0) pageName = Expand(a[i]);
                }
                else if (pageName.Length > 0) words.Word(pageName);
            }
            else if (name == "Ar" && (i >= end || IsMacro(a[i]) || IsClosing(a[i]))) words.Word("file ...");
            else if (name == "Ns") words.NoSpace();
            else if (name == "Pf") { if (i < end) words.Word(Expand(a[i++])); words.NoSpace(); }
            else if (name == "Ta") words.Word(" ");
            else if (Systems.TryGetValue(name, out var system))
            {
                var version = i < end && !IsMacro(a[i]) && !IsClosing(a[i]) ? Expand(a[i++]) : "";
                words.Word(System(name, system, version));
            }
            else if (name == "Lk")
            {
                var url = i < end ? Expand(a[i++]) : "";
                var label = new List<string>();
                while (i < end && !IsMacro(a[i]) && !IsClosing(a[i])) label.Add(Expand(a[i++]));
                words.Word(label.Count > 0 ? $"{string.Join(' ', label)}: {url}" : url);
            }
            else if (name == "An" && i < end && a[i].Raw is "-split" or "-nosplit") i++;
            else if (name == "Fn")
            {
                var function = i < end ? Expand(a[i++]) : "";
                var parameters = new List<string>();
                while (i < end && !IsMacro(a[i]) && !IsClosing(a[i])) parameters.Add(Expand(a[i++]));
                words.Word($"{function}({string.Join(", ", parameters)})");
            }
            else if (name == "In") { if (i < end) words.Word($"<{Expand(a[i++])}>"); }
            else if (name == "St") { if (i < end) words.Word(Standard(a[i++].Raw)); }
            else if (Plain.Contains(name) || Silent.Contains(name) || name is "Nd") { }
            else if (IsClosing(token)) words.Close(Expand(token));
            else if (!token.Quoted && token.Raw is "(" or "[") words.Open(token.Raw);
            else words.Word(Expand(token));
        }
    }

    private string Expand(RoffArgument argument) => escapes.Expand(argument.Raw);

    private static bool IsMacro(RoffArgument a) => !a.Quoted && a.Raw.Length is 2 or 3 && Handles(a.Raw);

    private static bool IsClosing(RoffArgument a) => !a.Quoted && a.Raw is "." or "," or ";" or ":" or "?" or "!" or ")" or "]";

    private static string ListType(List<RoffArgument> arguments) =>
        arguments.Select(a => a.Raw).FirstOrDefault(r => r.StartsWith('-') && r != "-width" && r != "-offset" && r != "-compact")?[1..] ?? "tag";

    private int ListWidth(List<RoffArgument> arguments)
    {
        int at = arguments.FindIndex(a => a.Raw == "-width");
        if (at < 0 || at + 1 >= arguments.Count) return 6;
        var width = arguments[at + 1].Raw;
        if (width.Length > 1 && char.IsAsciiDigit(width[0]) && width[^1] == 'n' && int.TryParse(width[..^1], out int n)) return n;
        return Handles(width) ? 6 : escapes.Expand(width).Length;
    }

    // .Bx 4.4 → 4.4BSD, .At v7 → Version 7 AT&T UNIX, .Fx 13 → FreeBSD 13.
    private static string System(string macro, string system, string version) => (macro, version) switch
    {
        (_, "") => system,
        ("Bx", _) => version + system,
        ("At", ['v', .. var number]) => $"Version {number} {system}",
        _ => $"{system} {version}",
    };

    private static string Standard(string name) => name switch
    {
        "-p1003.1" or "-p1003.1-2001" or "-p1003.1-2004" or "-p1003.1-2008" => "IEEE Std 1003.1 (\u201CPOSIX.1\u201D)",
        "-p1003.2" or "-p1003.2-92" => "IEEE Std 1003.2 (\u201CPOSIX.2\u201D)",
        "-ansiC" or "-ansiC-89" => "ANSI X3.159-1989 (\u201CANSI C89\u201D)",
        "-isoC" or "-isoC-99" => "ISO/IEC 9899:1999 (\u201CISO C99\u201D)",
        "-susv2" => "Version 2 of the Single UNIX Specification (\u201CSUSv2\u201D)",
        "-susv3" => "Version 3 of the Single UNIX Specification (\u201CSUSv3\u201D)",
        "-xpg4" => "X/Open Portability Guide Issue 4 (\u201CXPG4\u201D)",
        "-iso8601" => "ISO 8601",
        _ => name.TrimStart('-'),
    };

    /// <summary>Joins words with blanks except where mdoc attaches them.</summary>
    private sealed class InlineWords
    {
        private readonly StringBuilder text = new();
        private bool noSpace = true;

        public void Word(string word)
        {
            if (word.Length == 0) return;
            if (!noSpace) text.Append(' ');
            text.Append(word);
            noSpace = false;
        }

        public void Open(string open)
        {
            Word(open);
            noSpace = true;
        }

        public void Close(string close)
        {
            text.Append(close);
            noSpace = false;
        }

        public void NoSpace() => noSpace = true;

        public override string ToString() => text.ToString();
    }
}
