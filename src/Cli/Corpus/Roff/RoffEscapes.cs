using System.Globalization;
using System.Text;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// The strings, number registers and character translations of one page, and the expansion of escape sequences
/// (<c>\fB</c>, <c>\(em</c>, <c>\*(lq</c>, <c>\n(.g</c>, …) into plain text. Fonts, sizes, colours and motions
/// carry no text and are dropped; <c>\-</c> becomes an ASCII hyphen, as grotty prints it.
/// </summary>
internal sealed class RoffEscapes
{
    private const int MaxStringDepth = 16;

    // The strings an.tmac and doc.tmac (man and mdoc) predefine.
    private readonly Dictionary<string, string> strings = new(StringComparer.Ordinal)
    {
        ["lq"] = "\u201C", ["rq"] = "\u201D", ["Lq"] = "\u201C", ["Rq"] = "\u201D", ["R"] = "\u00AE", ["Tm"] = "\u2122",
        ["S"] = "", ["Gt"] = ">", ["Lt"] = "<", ["Ge"] = "\u2265", ["Le"] = "\u2264", ["Am"] = "&", ["Ba"] = "|",
        ["Pi"] = "\u03C0", ["Ne"] = "\u2260", ["If"] = "\u221E", ["Na"] = "NaN", ["Pm"] = "\u00B1", ["q"] = "\"",
    };
    private readonly Dictionary<string, int> registers = new(StringComparer.Ordinal) { [".g"] = 1 };
    private readonly Dictionary<char, string> translations = [];

    public void DefineString(string name, string raw) => strings[name] = raw;

    public void AppendString(string name, string raw) => strings[name] = strings.GetValueOrDefault(name, "") + raw;

    public bool HasString(string name) => strings.ContainsKey(name);

    public void RemoveString(string name) => strings.Remove(name);

    public void AliasString(string alias, string name)
    {
        if (strings.TryGetValue(name, out var value)) strings[alias] = value;
    }

    public void SetRegister(string name, int value) => registers[name] = value;

    public int Register(string name) => registers.GetValueOrDefault(name);

    public bool HasRegister(string name) => registers.ContainsKey(name);

    public void RemoveRegister(string name) => registers.Remove(name);

    /// <summary><c>.tr abcd</c>: a prints as b, c as d (pairs of expanded characters; a lone last one maps to a space).</summary>
    public void AddTranslations(string raw)
    {
        var text = Expand(raw);
        for (int i = 0; i < text.Length; i += 2)
            translations[text[i]] = i + 1 < text.Length ? text[i + 1].ToString() : " ";
    }

    public string Expand(string raw) => Expand(raw, out _);

    /// <summary>Expands one line's escapes. <paramref name="joinNext"/> is true when it ends in <c>\c</c>.</summary>
    public string Expand(string raw, out bool joinNext)
    {
        var text = new StringBuilder(raw.Length);
        joinNext = false;
        Append(text, raw, 0, ref joinNext);
        if (translations.Count == 0) return text.ToString();
        var translated = new StringBuilder(text.Length);
        foreach (char c in text.ToString()) translated.Append(translations.TryGetValue(c, out var to) ? to : c.ToString());
        return translated.ToString();
    }

    private void Append(StringBuilder text, string s, int depth, ref bool joinNext)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c != '\\') { text.Append(c); continue; }
            if (++i >= s.Length) break;
            switch (s[i])
            {
                case '"' or '#': return;                                  // comment to the end of the line
                case '\\' or 'e' or 'E': text.Append('\\'); break;
                case '-': text.Append('-'); break;
                case ' ' or '~' or '0': text.Append(' '); break;          // unbreakable and digit-width spaces
                case 't': text.Append('\t'); break;
                case '\'': text.Append('\u00B4'); break;
                case 'c': joinNext = i == s.Length - 1; break;
                // Zero-width and motion escapes without an argument: no text.
                case '&' or '|' or '^' or ')' or '%' or ',' or '/' or ':' or 'd' or 'u' or 'r' or 'a' or 'p' or '{' or '}' or 'z':
                    break;
                case '(': text.Append(RoffGlyphs.Lookup(ReadFixed(s, ref i, 2))); break;
                case '[': text.Append(RoffGlyphs.Lookup(ReadBracketed(s, ref i))); break;
                case 'C': text.Append(RoffGlyphs.Lookup(ReadDelimited(s, ref i))); break;
                case 'N':
                    if (int.TryParse(ReadDelimited(s, ref i), NumberStyles.None, CultureInfo.InvariantCulture, out int code) && code is > 0 and < 0x110000)
                        text.Append(char.ConvertFromUtf32(code));
                    break;
                case '*':
                    var name = ReadName(s, ref i).Split(' ')[0];
                    if (depth < MaxStringDepth && strings.TryGetValue(name, out var value)) Append(text, value, depth + 1, ref joinNext);
                    break;
                case 'n':
                    if (i + 1 < s.Length && s[i + 1] is '+' or '-') i++;
                    text.Append(Register(ReadName(s, ref i)).ToString(CultureInfo.InvariantCulture));
                    break;
                case 'f' or 'F' or 'm' or 'M' or 'g' or 'k' or 'Y' or 'V' or '$' or 'O' or 'j': ReadName(s, ref i); break;
                case 's': SkipSize(s, ref i); break;
                case 'Z': Append(text, ReadDelimited(s, ref i), depth + 1, ref joinNext); break;
                case 'h' or 'v' or 'w' or 'o' or 'b' or 'l' or 'L' or 'x' or 'X' or 'D' or 'H' or 'R' or 'S' or 'A' or 'B':
                    ReadDelimited(s, ref i);
                    break;
                default: text.Append(s[i]); break;                       // groff prints an unknown escape's character
            }
        }
    }

    /// <summary>Skips the escape starting at the backslash <paramref name="i"/>; returns the index of its last character.</summary>
    public static int SkipEscape(string s, int i)
    {
        if (++i >= s.Length) return s.Length - 1;
        switch (s[i])
        {
            case 'n':
                if (i + 1 < s.Length && s[i + 1] is '+' or '-') i++;
                ReadName(s, ref i);
                break;
            case '*' or 'f' or 'F' or 'm' or 'M' or 'g' or 'k' or 'Y' or 'V' or '$' or 'O' or 'j' or '(' or '[':
                if (s[i] is '(' or '[') i--;
                ReadName(s, ref i);
                break;
            case 's': SkipSize(s, ref i); break;
            case 'C' or 'N' or 'Z' or 'h' or 'v' or 'w' or 'o' or 'b' or 'l' or 'L' or 'x' or 'X' or 'D' or 'H' or 'R' or 'S' or 'A' or 'B':
                ReadDelimited(s, ref i);
                break;
        }
        return i;
    }

    /// <summary>A name after an escape: <c>x</c>, <c>(xx</c> or <c>[name]</c>; <paramref name="i"/> ends on its last character.</summary>
    public static string ReadName(string s, ref int i)
    {
        if (i + 1 >= s.Length) return "";
        if (s[i + 1] == '(') { i++; return ReadFixed(s, ref i, 2); }
        if (s[i + 1] == '[') { i++; return ReadBracketed(s, ref i); }
        return s[++i].ToString();
    }

    private static string ReadFixed(string s, ref int i, int length)
    {
        int available = Math.Min(length, s.Length - i - 1);
        var name = s.Substring(i + 1, available);
        i += available;
        return name;
    }

    private static string ReadBracketed(string s, ref int i)
    {
        int end = s.IndexOf(']', i + 1);
        if (end < 0) end = s.Length;
        var name = s[(i + 1)..end];
        i = Math.Min(end, s.Length - 1);
        return name;
    }

    /// <summary>An argument between two equal delimiters (<c>'…'</c>), escapes inside skipped over.</summary>
    private static string ReadDelimited(string s, ref int i)
    {
        if (i + 1 >= s.Length) return "";
        char delimiter = s[++i];
        int j = i + 1;
        while (j < s.Length && s[j] != delimiter) j += s[j] == '\\' ? 2 : 1;
        j = Math.Min(j, s.Length);
        var argument = s[(i + 1)..j];
        i = Math.Min(j, s.Length - 1);
        return argument;
    }

    // \sN, \s±N, \s(NN, \s[N], \s'N' and the legacy two-digit \s10..\s39.
    private static void SkipSize(string s, ref int i)
    {
        if (i + 1 < s.Length && s[i + 1] is '+' or '-') i++;
        if (i + 1 >= s.Length) return;
        char next = s[i + 1];
        if (next == '(') { i++; ReadFixed(s, ref i, 2); }
        else if (next == '[') { i++; ReadBracketed(s, ref i); }
        else if (next is '\'' or '"') ReadDelimited(s, ref i);
        else if (char.IsAsciiDigit(next))
        {
            i++;
            if (next is >= '1' and <= '3' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])) i++;
        }
    }
}
