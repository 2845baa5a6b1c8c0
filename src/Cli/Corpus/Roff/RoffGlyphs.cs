using System.Globalization;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// groff special characters (<c>\(xx</c>, <c>\[name]</c>, <c>\C'name'</c>) as the UTF-8 terminal device prints them.
/// The table covers what Debian's translated man pages use plus the common rest of groff_char(7); an unknown
/// name renders as nothing, as it does in groff (which warns).
/// </summary>
internal static class RoffGlyphs
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        // quotes and dashes
        ["aq"] = "'", ["dq"] = "\"", ["lq"] = "\u201C", ["rq"] = "\u201D", ["oq"] = "\u2018", ["cq"] = "\u2019",
        ["bq"] = "\u201A", ["Bq"] = "\u201E", ["Fo"] = "\u00AB", ["Fc"] = "\u00BB", ["fo"] = "\u2039", ["fc"] = "\u203A",
        ["em"] = "\u2014", ["en"] = "\u2013", ["hy"] = "\u2010", ["-"] = "-", ["mi"] = "\u2212",
        // punctuation and symbols
        ["bu"] = "\u2022", ["co"] = "\u00A9", ["rg"] = "\u00AE", ["tm"] = "\u2122", ["at"] = "@", ["sh"] = "#",
        ["rs"] = "\\", ["sl"] = "/", ["ha"] = "^", ["ti"] = "~", ["ga"] = "`", ["aa"] = "\u00B4", ["ul"] = "_",
        ["ru"] = "_", ["br"] = "\u2502", ["or"] = "|", ["ba"] = "|", ["lB"] = "[", ["rB"] = "]", ["lC"] = "{", ["rC"] = "}",
        ["la"] = "\u27E8", ["ra"] = "\u27E9", ["sc"] = "\u00A7", ["ps"] = "\u00B6", ["de"] = "\u00B0", ["dg"] = "\u2020",
        ["dd"] = "\u2021", ["ct"] = "\u00A2", ["Po"] = "\u00A3", ["Eu"] = "\u20AC", ["eu"] = "\u20AC", ["Ye"] = "\u00A5",
        ["mc"] = "\u00B5", ["md"] = "\u22C5", ["pc"] = "\u00B7", ["r!"] = "\u00A1", ["r?"] = "\u00BF", ["ss"] = "\u00DF",
        ["12"] = "\u00BD", ["14"] = "\u00BC", ["34"] = "\u00BE", ["S1"] = "\u00B9", ["S2"] = "\u00B2", ["S3"] = "\u00B3",
        ["OK"] = "\u2713", ["ci"] = "\u25CB", ["sq"] = "\u25A1", ["lz"] = "\u25CA", ["ho"] = "\u02DB", ["ab"] = "\u02D8",
        // mathematics
        ["+-"] = "\u00B1", ["mu"] = "\u00D7", ["di"] = "\u00F7", ["<="] = "\u2264", [">="] = "\u2265", ["!="] = "\u2260",
        ["=="] = "\u2261", ["~~"] = "\u2248", ["~="] = "\u2245", ["is"] = "\u222B", ["if"] = "\u221E", ["pd"] = "\u2202",
        ["sr"] = "\u221A", ["no"] = "\u00AC", ["AN"] = "\u2227", ["OR"] = "\u2228", ["mo"] = "\u2208", ["nm"] = "\u2209",
        ["es"] = "\u2205", ["ca"] = "\u2229", ["cu"] = "\u222A", ["sb"] = "\u2282", ["sp"] = "\u2283", ["fa"] = "\u2200",
        ["te"] = "\u2203", ["gr"] = "\u2207", ["pt"] = "\u221D", ["tf"] = "\u2234", ["pl"] = "+", ["eq"] = "=",
        ["f/"] = "\u2044", ["**"] = "\u2217", ["<<"] = "\u226A", [">>"] = "\u226B",
        // arrows
        ["->"] = "\u2192", ["<-"] = "\u2190", ["<>"] = "\u2194", ["ua"] = "\u2191", ["da"] = "\u2193",
        ["rA"] = "\u21D2", ["lA"] = "\u21D0", ["hA"] = "\u21D4", ["uA"] = "\u21D1", ["dA"] = "\u21D3",
        // letters
        ["/O"] = "\u00D8", ["/o"] = "\u00F8", ["AE"] = "\u00C6", ["ae"] = "\u00E6", ["OE"] = "\u0152", ["oe"] = "\u0153",
        ["-D"] = "\u00D0", ["Sd"] = "\u00F0", ["TP"] = "\u00DE", ["Tp"] = "\u00FE", [".i"] = "\u0131", ["ff"] = "ff",
        ["fi"] = "fi", ["fl"] = "fl", ["Fi"] = "ffi", ["Fl"] = "ffl",
    };

    // \(:a, \('e, \(`a, \(^o, \(~n, \(,c: a mark followed by a base letter.
    private static readonly Dictionary<char, char> Marks = new()
    {
        [':'] = '\u0308', ['\''] = '\u0301', ['`'] = '\u0300', ['^'] = '\u0302', ['~'] = '\u0303', [','] = '\u0327',
        ['o'] = '\u030A', ['v'] = '\u030C',
    };

    private const string GreekLatin = "abgdezyhiklmncoprstufxqwABGDEZYHIKLMNCOPRSTUFXQW";
    private const string Greek = "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ";

    /// <summary>The text of a special character name (without <c>\(</c> or brackets); "" when unknown.</summary>
    public static string Lookup(string name)
    {
        if (Names.TryGetValue(name, out var text)) return text;
        if (name.Length == 2 && name[0] == '*' && GreekLatin.IndexOf(name[1]) is int g and >= 0) return Greek[g].ToString();
        if (name.Length == 2 && Marks.TryGetValue(name[0], out var mark) && char.IsLetter(name[1]))
            return (name[1].ToString() + mark).Normalize(System.Text.NormalizationForm.FormC);
        // \[u00E4], \[u0061_0308] (composed), \[char176]
        if (name.Length >= 5 && name[0] == 'u')
        {
            var parts = name[1..].Split('_');
            var builder = new System.Text.StringBuilder();
            foreach (var part in parts)
            {
                if (!int.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code) || code > 0x10FFFF) return "";
                builder.Append(char.ConvertFromUtf32(code));
            }
            return builder.ToString().Normalize(System.Text.NormalizationForm.FormC);
        }
        if (name.StartsWith("char", StringComparison.Ordinal) &&
            int.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int latin1) && latin1 < 256)
            return ((char)latin1).ToString();
        return "";
    }
}
