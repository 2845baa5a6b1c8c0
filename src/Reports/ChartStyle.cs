namespace ModuleService.Reports;

/// <summary>Shared look for all charts, so a report's images match each other.</summary>
internal static class ChartStyle
{
    public static readonly Rgba Background = Rgba.White;
    public static readonly Rgba Text = new(33, 33, 33);
    public static readonly Rgba MutedText = new(120, 120, 120);
    public static readonly Rgba Axis = new(90, 90, 90);
    public static readonly Rgba Grid = new(228, 228, 228);
    public static readonly Rgba MissingCell = new(215, 215, 215);
    public static readonly Rgba LegendFill = new(255, 255, 255, 235);

    /// <summary>
    /// Whole-pixel font scale for an image size: the 5x7 font is only comfortable to read at 2x on a
    /// typical 800x500 report image, and should grow with larger exports rather than stay tiny.
    /// </summary>
    public static int FontScale(int width, int height) => Math.Max(1, Math.Min(width / 400, height / 250));

    /// <summary>Text height in pixels (cap height plus descenders) at a font scale.</summary>
    public static int LineHeight(int scale) => BitmapFont.MeasureHeight(scale);
}

/// <summary>Integer pixel rectangle (x, y = top-left).</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public bool Contains(double x, double y) => x >= X && x < Right && y >= Y && y < Bottom;
}
