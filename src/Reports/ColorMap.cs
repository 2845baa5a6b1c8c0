namespace ModuleService.Reports;

/// <summary>
/// Colour scales and the series palette. Viridis is used for heatmaps because its brightness rises
/// monotonically (readable in greyscale and by most colour-blind readers), unlike a rainbow map.
/// </summary>
public static class ColorMap
{
    // Viridis sampled at 9 evenly spaced stops (from matplotlib's table); linear interpolation between
    // them is visually indistinguishable from the full 256-entry map at chart sizes.
    private static readonly Rgba[] ViridisStops =
    [
        new(68, 1, 84), new(72, 40, 120), new(62, 73, 137), new(49, 104, 142), new(38, 130, 142),
        new(31, 158, 137), new(53, 183, 121), new(109, 205, 89), new(253, 231, 37),
    ];

    /// <summary>
    /// Distinct line colours (Tableau 10): series 0 is blue, 1 orange, 2 green, 3 red, ... so the common
    /// "train vs validation" pair is blue vs orange, which survives red-green colour blindness.
    /// </summary>
    public static IReadOnlyList<Rgba> Palette { get; } =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];

    /// <summary>Palette colour for the n-th series, cycling when there are more series than colours.</summary>
    public static Rgba SeriesColor(int index) => Palette[((index % Palette.Count) + Palette.Count) % Palette.Count];

    /// <summary>Viridis colour for t in [0, 1] (clamped; NaN maps to the low end).</summary>
    public static Rgba Viridis(double t)
    {
        if (double.IsNaN(t)) t = 0;
        double pos = Math.Clamp(t, 0, 1) * (ViridisStops.Length - 1);
        int i = Math.Min((int)pos, ViridisStops.Length - 2);
        return ViridisStops[i].Lerp(ViridisStops[i + 1], pos - i);
    }
}
