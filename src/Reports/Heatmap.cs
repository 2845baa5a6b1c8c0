namespace ModuleService.Reports;

/// <summary>
/// Matrix heatmap, e.g. expert usage with rows = layers and columns = experts, coloured with viridis and
/// explained by a colour bar. NaN cells (no data) are drawn grey and ignored for the colour range.
/// </summary>
public sealed partial class Heatmap
{
    public Heatmap(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = (double[,])values.Clone();
    }

    /// <summary>Builds from jagged rows; short rows are padded with NaN so ragged input still renders.</summary>
    public Heatmap(IReadOnlyList<IReadOnlyList<double>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int cols = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
        Values = new double[rows.Count, cols];
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < cols; c++)
                Values[r, c] = c < rows[r].Count ? rows[r][c] : double.NaN;
    }

    /// <summary>The matrix being drawn: [row, column].</summary>
    public double[,] Values { get; }
    public int Rows => Values.GetLength(0);
    public int Columns => Values.GetLength(1);

    public string Title { get; set; } = "";
    public string XLabel { get; set; } = "";
    public string YLabel { get; set; } = "";

    /// <summary>Caption beside the colour bar (e.g. "share of tokens").</summary>
    public string ColorBarLabel { get; set; } = "";

    /// <summary>Row names top to bottom; null gives "0", "1", ...</summary>
    public IReadOnlyList<string>? RowLabels { get; set; }

    /// <summary>Column names left to right; null gives "0", "1", ...</summary>
    public IReadOnlyList<string>? ColumnLabels { get; set; }

    /// <summary>Print each value in its cell when the text fits.</summary>
    public bool ShowValues { get; set; }

    /// <summary>.NET format for cell values and colour-bar labels (e.g. "0.00", "P0"); null = compact.</summary>
    public string? ValueFormat { get; set; }

    /// <summary>Fixed colour range, so several heatmaps can share one scale; null = data min/max.</summary>
    public double? Min { get; set; }
    public double? Max { get; set; }

    /// <summary>Encodes the heatmap as PNG bytes.</summary>
    public byte[] ToPng(int width = 800, int height = 500) => Render(width, height).ToPng();

    /// <summary>Draws the heatmap onto a new canvas.</summary>
    public Canvas Render(int width = 800, int height = 500)
    {
        var canvas = new Canvas(width, height, ChartStyle.Background);
        var layout = ComputeLayout(width, height);
        var (lo, hi) = Range();
        if (Rows == 0 || Columns == 0)
            canvas.DrawTextCentered(layout.Grid.X + layout.Grid.Width / 2, layout.Grid.Y + layout.Grid.Height / 2,
                "no data", ChartStyle.MutedText, layout.Scale);
        else
            DrawCells(canvas, layout, lo, hi);
        DrawAxisLabels(canvas, layout);
        DrawColorBar(canvas, layout, lo, hi);
        return canvas;
    }

    /// <summary>Colour for a value under the current range; NaN is the grey "missing" colour.</summary>
    public Rgba ColorFor(double value, double lo, double hi)
    {
        if (!double.IsFinite(value)) return ChartStyle.MissingCell;
        // A constant matrix has no spread; show it mid-scale rather than dividing by zero.
        return ColorMap.Viridis(hi > lo ? (value - lo) / (hi - lo) : 0.5);
    }

    /// <summary>Colour range actually used: Min/Max when set, otherwise the finite data extremes.</summary>
    public (double Min, double Max) Range()
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (double v in Values)
            if (double.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        if (lo > hi) (lo, hi) = (0, 1);
        lo = Min ?? lo;
        hi = Max ?? hi;
        return lo <= hi ? (lo, hi) : (hi, lo);
    }

    internal string FormatValue(double v) => ValueFormat is null ? NumberFormat.Compact(v) : NumberFormat.Custom(v, ValueFormat);

    internal string RowLabel(int r) => RowLabels is { } l && r < l.Count ? l[r] : r.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal string ColumnLabel(int c) => ColumnLabels is { } l && c < l.Count ? l[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Cell c of n spans [start + c*len/n, start + (c+1)*len/n): integer edges that tile exactly.</summary>
    internal static (int Start, int End) CellEdges(int start, int length, int index, int count) =>
        (start + (int)((long)index * length / count), start + (int)((long)(index + 1) * length / count));
}
