namespace ModuleService.Reports;

/// <summary>
/// An RGBA raster with just the primitives charts need. Coordinates are pixels with (0, 0) at the top-left;
/// integer coordinates address whole pixels, so pixel (x, y) has its centre at (x + 0.5, y + 0.5).
/// Everything clips silently to the canvas so chart code never needs bounds checks.
/// </summary>
public sealed partial class Canvas
{
    private readonly byte[] _pixels;

    public Canvas(int width, int height, Rgba? background = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        _pixels = new byte[checked(width * height * 4)];
        Clear(background ?? Rgba.White);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major RGBA bytes, 4 per pixel.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    public void Clear(Rgba color)
    {
        for (int i = 0; i < _pixels.Length; i += 4)
            Write(i, color);
    }

    public Rgba GetPixel(int x, int y)
    {
        int i = (y * Width + x) * 4;
        return new Rgba(_pixels[i], _pixels[i + 1], _pixels[i + 2], _pixels[i + 3]);
    }

    /// <summary>Paints one pixel, alpha-blending when the colour is not opaque; out-of-range is ignored.</summary>
    public void SetPixel(int x, int y, Rgba color) => BlendPixel(x, y, color, 1.0);

    /// <summary>
    /// Composites <paramref name="color"/> over the pixel with its alpha scaled by <paramref name="coverage"/>
    /// (the anti-aliasing weight). Uses the standard "source over" operator so translucent canvases stay correct.
    /// </summary>
    public void BlendPixel(int x, int y, Rgba color, double coverage)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        double a = color.A / 255.0 * Math.Clamp(coverage, 0, 1);
        if (a <= 0) return;
        int i = (y * Width + x) * 4;
        if (a >= 1) { Write(i, color); return; }

        double da = _pixels[i + 3] / 255.0;
        double outA = a + da * (1 - a);
        _pixels[i] = Over(color.R, _pixels[i], a, da, outA);
        _pixels[i + 1] = Over(color.G, _pixels[i + 1], a, da, outA);
        _pixels[i + 2] = Over(color.B, _pixels[i + 2], a, da, outA);
        _pixels[i + 3] = (byte)Math.Round(outA * 255);
    }

    /// <summary>Fills an axis-aligned rectangle; negative sizes draw nothing.</summary>
    public void FillRect(int x, int y, int width, int height, Rgba color)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = Math.Min(x + width, Width), y1 = Math.Min(y + height, Height);
        for (int py = y0; py < y1; py++)
            for (int px = x0; px < x1; px++)
                BlendPixel(px, py, color, 1.0);
    }

    /// <summary>One-pixel outline whose outer edge is the given rectangle.</summary>
    public void DrawRect(int x, int y, int width, int height, Rgba color)
    {
        if (width <= 0 || height <= 0) return;
        FillRect(x, y, width, 1, color);
        FillRect(x, y + height - 1, width, 1, color);
        FillRect(x, y + 1, 1, height - 2, color);
        FillRect(x + width - 1, y + 1, 1, height - 2, color);
    }

    /// <summary>Encodes the canvas as an RGBA PNG.</summary>
    public byte[] ToPng() => PngWriter.EncodeRgba(Width, Height, _pixels);

    private void Write(int i, Rgba c)
    {
        _pixels[i] = c.R;
        _pixels[i + 1] = c.G;
        _pixels[i + 2] = c.B;
        _pixels[i + 3] = c.A;
    }

    private static byte Over(byte src, byte dst, double a, double da, double outA) =>
        (byte)Math.Round((src * a + dst * da * (1 - a)) / outA);
}
