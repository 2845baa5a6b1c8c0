namespace ModuleService.Reports;

/// <summary>
/// The built-in 5x7 pixel font (plus a 2-row descender area), decoded once into bit rows.
/// Text is scaled by whole pixels only: blocky, but crisp and legible at any scale without anti-aliasing.
/// </summary>
public static class BitmapFont
{
    /// <summary>Glyph width in font pixels.</summary>
    public const int GlyphWidth = 5;
    /// <summary>Rows from the top of a line to the baseline (cap height).</summary>
    public const int Ascent = 7;
    /// <summary>Full glyph cell height including descenders.</summary>
    public const int CellHeight = 9;
    /// <summary>Horizontal distance between glyph origins: one blank column between letters.</summary>
    public const int Advance = GlyphWidth + 1;

    // One bitmask per row, bit 4 = leftmost column; CellHeight rows so descenders need no special casing.
    private static readonly Dictionary<char, byte[]> Glyphs = Decode();

    /// <summary>Characters the font can draw; anything else is drawn as '?'.</summary>
    public static IEnumerable<char> SupportedCharacters => Glyphs.Keys;

    /// <summary>True when the font has a glyph for <paramref name="c"/>.</summary>
    public static bool Supports(char c) => Glyphs.ContainsKey(c);

    /// <summary>Width in device pixels of a single-line string at a scale (no trailing gap).</summary>
    public static int MeasureWidth(string text, int scale = 1) =>
        text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    /// <summary>Height in device pixels of one line including descenders.</summary>
    public static int MeasureHeight(int scale = 1) => CellHeight * scale;

    /// <summary>Row bitmask for a glyph (bit 4 = leftmost column).</summary>
    internal static byte[] GetRows(char c) =>
        Glyphs.TryGetValue(c, out var rows) ? rows : Glyphs['?'];

    private static Dictionary<char, byte[]> Decode()
    {
        var result = new Dictionary<char, byte[]>();
        foreach (var (c, source) in FontGlyphs.Source)
        {
            string[] lines = source.Split(' ');
            // Fail loudly at type init: a malformed glyph would otherwise render as silent garbage.
            if (lines.Length > CellHeight || lines.Any(l => l.Length != GlyphWidth))
                throw new InvalidOperationException($"Glyph '{c}' is malformed.");
            var rows = new byte[CellHeight];
            for (int y = 0; y < lines.Length; y++)
                for (int x = 0; x < GlyphWidth; x++)
                    if (lines[y][x] == '#')
                        rows[y] |= (byte)(1 << (GlyphWidth - 1 - x));
            result[c] = rows;
        }
        return result;
    }
}
