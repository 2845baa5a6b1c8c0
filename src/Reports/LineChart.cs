namespace ModuleService.Reports;

/// <summary>
/// Line chart for training metrics (loss curves etc.): title, axis labels, nice ticks, a legend and an
/// optional log y-axis. Configure, add series, then <see cref="Render"/> or <see cref="ToPng"/>.
/// </summary>
public sealed partial class LineChart
{
    public string Title { get; set; } = "";
    public string XLabel { get; set; } = "";
    public string YLabel { get; set; } = "";

    /// <summary>Log10 y-axis; non-positive values are then skipped as gaps.</summary>
    public bool LogY { get; set; }

    public IList<ChartSeries> Series { get; } = new List<ChartSeries>();

    /// <summary>Adds a series plotted against its index (0, 1, 2, ...), e.g. one value per epoch.</summary>
    public LineChart Add(string name, IReadOnlyList<double> y, Rgba? color = null)
    {
        ArgumentNullException.ThrowIfNull(y);
        return Add(name, Enumerable.Range(0, y.Count).Select(i => (double)i).ToArray(), y, color);
    }

    /// <summary>Adds a series with explicit x values (e.g. global step numbers).</summary>
    public LineChart Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, Rgba? color = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        Series.Add(new ChartSeries(name, x, y, color));
        return this;
    }

    /// <summary>Encodes the chart as PNG bytes.</summary>
    public byte[] ToPng(int width = 800, int height = 500) => Render(width, height).ToPng();

    /// <summary>Draws the chart onto a new canvas.</summary>
    public Canvas Render(int width = 800, int height = 500)
    {
        var canvas = new Canvas(width, height, ChartStyle.Background);
        int s = ChartStyle.FontScale(width, height);
        var (xScale, yScale, hasData) = ComputeScales();
        PixelRect plot = Layout(width, height, s, yScale, xScale, 0);
        var mapped = Series.Select(series => Map(series, plot, xScale, yScale)).ToList();
        PixelRect? legend = PlaceLegendInside(plot, mapped, s);
        if (legend is null && Series.Count > 0)
        {
            // Every corner would hide data: shrink the plot and put the legend in a right-hand column.
            var size = LegendSize(s);
            plot = Layout(width, height, s, yScale, xScale, size.Width + 6 * s);
            mapped = Series.Select(series => Map(series, plot, xScale, yScale)).ToList();
            legend = new PixelRect(plot.Right + 6 * s + 1, plot.Y, size.Width, size.Height);
        }

        DrawGridAndAxes(canvas, plot, xScale, yScale, s);
        for (int i = 0; i < mapped.Count; i++)
            DrawSeries(canvas, mapped[i], ColorOf(i), s);
        if (!hasData)
            canvas.DrawTextCentered(plot.X + plot.Width / 2, plot.Y + plot.Height / 2 - ChartStyle.LineHeight(s) / 2,
                "no data", ChartStyle.MutedText, s);
        if (legend is { } box) DrawLegend(canvas, box, mapped, s);
        DrawLabels(canvas, plot, s);
        return canvas;
    }

    internal Rgba ColorOf(int index) => Series[index].Color ?? ColorMap.SeriesColor(index);

    private (AxisScale X, AxisScale Y, bool HasData) ComputeScales()
    {
        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity;
        double yMin = double.PositiveInfinity, yMax = double.NegativeInfinity;
        foreach (var series in Series)
            for (int i = 0; i < series.Count; i++)
            {
                if (!series.IsPlottable(i, LogY)) continue;
                xMin = Math.Min(xMin, series.X[i]); xMax = Math.Max(xMax, series.X[i]);
                yMin = Math.Min(yMin, series.Y[i]); yMax = Math.Max(yMax, series.Y[i]);
            }
        bool hasData = xMin <= xMax;
        // With no data the scales fall back to a unit range so axes and labels still render.
        var x = hasData ? AxisScale.Linear(xMin, xMax) : AxisScale.Linear(0, 1);
        var y = LogY ? (hasData ? AxisScale.Log(yMin, yMax) : AxisScale.Log(1, 10))
                     : (hasData ? AxisScale.Linear(yMin, yMax) : AxisScale.Linear(0, 1));
        return (x, y, hasData);
    }

    /// <summary>
    /// Reserves room for the title, y tick labels and axis labels around the plot; margins come from the
    /// measured label text rather than fixed percentages so long tick labels never overlap the plot.
    /// </summary>
    private PixelRect Layout(int width, int height, int s, AxisScale yScale, AxisScale xScale, int legendColumn)
    {
        int pad = 8 * s, line = ChartStyle.LineHeight(s), tick = 4 * s;
        int top = pad + (Title.Length > 0 ? ChartStyle.LineHeight(s + 1) + pad : line / 2);
        int yTickWidth = yScale.Ticks.Max(t => BitmapFont.MeasureWidth(yScale.Label(t), s));
        int left = pad + (YLabel.Length > 0 ? line + pad : 0) + yTickWidth + tick + 3 * s;
        int bottom = tick + 3 * s + line + (XLabel.Length > 0 ? pad + line : 0) + pad;
        int lastX = BitmapFont.MeasureWidth(xScale.Label(xScale.Ticks[^1]), s);
        // The last x label is centred on the plot's right edge, so half of it hangs into the margin.
        int right = legendColumn > 0 ? Math.Max(lastX / 2, legendColumn + pad) : lastX / 2 + pad;
        return new PixelRect(left, top, Math.Max(1, width - left - right), Math.Max(1, height - top - bottom));
    }

    private static double Px(PixelRect plot, AxisScale x, double value) => plot.X + x.Normalize(value) * (plot.Width - 1) + 0.5;
    private static double Py(PixelRect plot, AxisScale y, double value) => plot.Bottom - 1 - y.Normalize(value) * (plot.Height - 1) + 0.5;

    private List<(double X, double Y)> Map(ChartSeries series, PixelRect plot, AxisScale x, AxisScale y)
    {
        var points = new List<(double X, double Y)>(series.Count);
        for (int i = 0; i < series.Count; i++)
            points.Add(series.IsPlottable(i, LogY)
                ? (Px(plot, x, series.X[i]), Py(plot, y, series.Y[i]))
                : (double.NaN, double.NaN));
        return points;
    }
}
