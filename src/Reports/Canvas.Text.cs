namespace ModuleService.Reports;

public sealed partial class Canvas
{
    /// <summary>
    /// Draws one line of text with the built-in font; (x, y) is the top-left of the text box.
    /// Each font pixel becomes a scale x scale block. Bold re-draws one device pixel to the right,
    /// which thickens vertical strokes enough to set titles apart without a second font.
    /// </summary>
    public void DrawText(int x, int y, string text, Rgba color, int scale = 1, bool bold = false)
    {
        scale = Math.Max(1, scale);
        for (int i = 0; i < text.Length; i++)
        {
            byte[] rows = BitmapFont.GetRows(text[i]);
            int gx = x + i * BitmapFont.Advance * scale;
            for (int row = 0; row < rows.Length; row++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                {
                    if ((rows[row] & (1 << (BitmapFont.GlyphWidth - 1 - col))) == 0) continue;
                    FillRect(gx + col * scale, y + row * scale, scale + (bold ? 1 : 0), scale, color);
                }
        }
    }

    /// <summary>
    /// Draws text rotated 90 degrees counter-clockwise (reading bottom to top), as for a y-axis label.
    /// (x, y) is the top-left of the rotated box, which is MeasureHeight wide and MeasureWidth tall.
    /// </summary>
    public void DrawTextVertical(int x, int y, string text, Rgba color, int scale = 1)
    {
        scale = Math.Max(1, scale);
        int length = BitmapFont.MeasureWidth(text, scale);
        for (int i = 0; i < text.Length; i++)
        {
            byte[] rows = BitmapFont.GetRows(text[i]);
            int along = i * BitmapFont.Advance * scale; // distance from the start of the text
            for (int row = 0; row < rows.Length; row++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                {
                    if ((rows[row] & (1 << (BitmapFont.GlyphWidth - 1 - col))) == 0) continue;
                    // Horizontal (u, v) maps to rotated (v, length - 1 - u): the text's top faces left.
                    int u = along + col * scale;
                    FillRect(x + row * scale, y + length - u - scale, scale, scale, color);
                }
        }
    }

    /// <summary>Draws text horizontally centred on <paramref name="centerX"/>.</summary>
    public void DrawTextCentered(int centerX, int y, string text, Rgba color, int scale = 1, bool bold = false) =>
        DrawText(centerX - BitmapFont.MeasureWidth(text, scale) / 2, y, text, color, scale, bold);

    /// <summary>Draws text so that its right edge is at <paramref name="rightX"/>.</summary>
    public void DrawTextRight(int rightX, int y, string text, Rgba color, int scale = 1) =>
        DrawText(rightX - BitmapFont.MeasureWidth(text, scale), y, text, color, scale);
}
