namespace ModuleService.Reports;

/// <summary>
/// Grouped bar chart, e.g. perplexity per domain (groups) for several models or moments (series): one bar per
/// series in every group, a legend, a linear y-axis from 0, and the value printed above each bar when it fits.
/// </summary>
public sealed class BarChart
{
    public string Title { get; set; } = "";
    public string YLabel { get; set; } = "";

    /// <summary>Group names along the x-axis, left to right.</summary>
    public IReadOnlyList<string> Groups { get; }

    public IList<(string Name, IReadOnlyList<double> Values)> Series { get; } = new List<(string, IReadOnlyList<double>)>();

    /// <summary>.NET format of the value labels.</summary>
    public string ValueFormat { get; set; } = "0.0";

    public BarChart(IReadOnlyList<string> groups) => Groups = groups ?? throw new ArgumentNullException(nameof(groups));

    /// <summary>Adds a series with one value per group (NaN leaves the bar out).</summary>
    public BarChart Add(string name, IReadOnlyList<double> values)
    {
        if (values.Count != Groups.Count) throw new ArgumentException($"{values.Count} values for {Groups.Count} groups", nameof(values));
        Series.Add((name, values));
        return this;
    }

    public byte[] ToPng(int width = 800, int height = 500) => Render(width, height).ToPng();

    public Canvas Render(int width = 800, int height = 500)
    {
        var canvas = new Canvas(width, height, ChartStyle.Background);
        int s = ChartStyle.FontScale(width, height), pad = 8 * s, line = ChartStyle.LineHeight(s), tick = 4 * s;
        var finite = Series.SelectMany(x => x.Values).Where(double.IsFinite).DefaultIfEmpty(1).ToList();
        // Headroom for the value labels above the tallest bar.
        var y = AxisScale.Linear(Math.Min(0, finite.Min()), Math.Max(finite.Max() * 1.08, 1e-9));
        int legendH = Series.Count == 0 ? 0 : line + pad;
        int top = pad + (Title.Length > 0 ? ChartStyle.LineHeight(s + 1) + pad : 0) + legendH;
        int left = pad + (YLabel.Length > 0 ? line + pad : 0) + y.Ticks.Max(t => BitmapFont.MeasureWidth(y.Label(t), s)) + tick + 3 * s;
        var plot = new PixelRect(left, top, Math.Max(1, width - left - pad), Math.Max(1, height - top - (tick + 3 * s + line + pad)));
        int Py(double v) => (int)Math.Round(plot.Bottom - 1 - y.Normalize(v) * (plot.Height - 1));

        foreach (double t in y.Ticks)
        {
            canvas.FillRect(plot.X, Py(t), plot.Width, 1, ChartStyle.Grid);
            canvas.DrawTextRight(plot.X - tick - 3 * s, Py(t) - BitmapFont.Ascent * s / 2, y.Label(t), ChartStyle.Text, s);
        }
        double groupW = plot.Width / (double)Math.Max(1, Groups.Count);
        double barW = groupW * 0.8 / Math.Max(1, Series.Count);
        for (int g = 0; g < Groups.Count; g++)
        {
            int centre = (int)(plot.X + groupW * (g + 0.5));
            canvas.DrawTextCentered(centre, plot.Bottom + tick + 3 * s, Groups[g], ChartStyle.Text, s);
            for (int i = 0; i < Series.Count; i++)
            {
                double value = Series[i].Values[g];
                if (!double.IsFinite(value)) continue;
                int x0 = (int)(plot.X + groupW * g + groupW * 0.1 + barW * i), x1 = (int)(plot.X + groupW * g + groupW * 0.1 + barW * (i + 1)) - 1;
                int yTop = Py(value), yZero = Py(0);
                canvas.FillRect(x0, Math.Min(yTop, yZero), Math.Max(1, x1 - x0), Math.Max(1, Math.Abs(yZero - yTop)), ColorMap.SeriesColor(i));
                string label = value.ToString(ValueFormat, System.Globalization.CultureInfo.InvariantCulture);
                if (BitmapFont.MeasureWidth(label, s) <= x1 - x0 + 2 * s)
                    canvas.DrawTextCentered((x0 + x1) / 2, yTop - line - s, label, ChartStyle.Text, s);
            }
        }
        canvas.DrawRect(plot.X - 1, plot.Y - 1, plot.Width + 2, plot.Height + 2, ChartStyle.Axis);
        DrawLegend(canvas, plot.X, top - legendH, s);
        if (Title.Length > 0) canvas.DrawTextCentered(width / 2, pad, Title, ChartStyle.Text, s + 1, bold: true);
        if (YLabel.Length > 0)
            canvas.DrawTextVertical(pad, plot.Y + plot.Height / 2 - BitmapFont.MeasureWidth(YLabel, s) / 2, YLabel, ChartStyle.Text, s);
        return canvas;
    }

    /// <summary>One row above the plot: a swatch and the name of each series.</summary>
    void DrawLegend(Canvas canvas, int x, int y, int s)
    {
        for (int i = 0; i < Series.Count; i++)
        {
            canvas.FillRect(x, y + s, 10 * s, BitmapFont.Ascent * s - s, ColorMap.SeriesColor(i));
            canvas.DrawText(x + 13 * s, y, Series[i].Name, ChartStyle.Text, s);
            x += 13 * s + BitmapFont.MeasureWidth(Series[i].Name, s) + 12 * s;
        }
    }
}
