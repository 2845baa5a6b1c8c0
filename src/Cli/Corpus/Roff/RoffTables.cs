namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// tbl tables (<c>.TS</c> … <c>.TE</c>) as text: one output line per row, cells separated by one blank, text
/// blocks (<c>T{</c> … <c>T}</c>) joined into their cell. Options, format lines and rules carry no text.
/// </summary>
internal static class RoffTables
{
    public static void Render(IReadOnlyList<string> table, RoffEscapes escapes, TextAssembler output)
    {
        int i = 0;
        char tab = '\t';
        if (i < table.Count && table[i].TrimEnd().EndsWith(';'))
        {
            tab = TabOption(table[i]) ?? tab;
            i++;
        }
        i = SkipFormat(table, i);
        output.Break();
        while (i < table.Count)
        {
            var line = table[i++];
            if (line.StartsWith(".T&", StringComparison.Ordinal)) { i = SkipFormat(table, i); continue; }
            if (line.Length > 0 && line[0] is '.' or '\'') continue;
            if (line.Trim() is "_" or "=" or "") continue;
            var cells = new List<string>();
            string? rest = line;
            while (rest is not null)
            {
                var parts = rest.Split(tab);
                rest = null;
                for (int k = 0; k < parts.Length; k++)
                {
                    if (k == parts.Length - 1 && parts[k].TrimEnd() == "T{")
                    {
                        var block = new List<string>();
                        while (i < table.Count && !table[i].StartsWith("T}", StringComparison.Ordinal)) block.Add(table[i++]);
                        cells.Add(BlockText(block, escapes));
                        if (i < table.Count)
                        {
                            var after = table[i++][2..];
                            rest = after.Length > 0 && after[0] == tab ? after[1..] : after.Length > 0 ? after : null;
                        }
                        break;
                    }
                    var cell = escapes.Expand(parts[k]);
                    if (cell.Trim() is not ("_" or "=" or "\\^")) cells.Add(cell);
                }
            }
            output.Text(string.Join(' ', cells.Select(c => c.Trim()).Where(c => c.Length > 0)));
            output.Break();
        }
        output.Break();
    }

    // Format lines run up to and including the one that ends with '.'.
    private static int SkipFormat(IReadOnlyList<string> table, int i)
    {
        while (i < table.Count)
            if (table[i++].TrimEnd().EndsWith('.')) break;
        return i;
    }

    private static char? TabOption(string options)
    {
        int at = options.IndexOf("tab(", StringComparison.Ordinal);
        return at >= 0 && at + 4 < options.Length ? options[at + 4] : null;
    }

    private static string BlockText(List<string> block, RoffEscapes escapes) =>
        string.Join(' ', block.Where(l => l.Length == 0 || l[0] is not ('.' or '\'')).Select(l => escapes.Expand(l).Trim()));
}
