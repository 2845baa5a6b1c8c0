namespace ModuleService.Reports;

public sealed partial class LineChart
{
    private const int LegendSamples = 8;

    // Series without plottable data are marked so a silently empty metric is not mistaken for a hidden line.
    private List<string> LegendNames(List<List<(double X, double Y)>>? mapped) => Series
        .Select((series, i) => mapped is not null && !mapped[i].Any(p => double.IsFinite(p.X)) ? series.Name + " (no data)" : series.Name)
        .ToList();

    private (int Width, int Height) LegendSize(int s, List<string>? names = null)
    {
        // Measured with the longest possible text so the outside column is never too narrow.
        names ??= Series.Select(x => x.Name + " (no data)").ToList();
        int w = 10 * s + 12 * s + 4 * s + names.Max(n => BitmapFont.MeasureWidth(n, s));
        int h = 10 * s + (ChartStyle.LineHeight(s) + 3 * s) * names.Count - 3 * s;
        return (w, h);
    }

    /// <summary>
    /// Picks the corner of the plot where the legend hides no data (top-right first, which suits falling
    /// loss curves); null when every corner would cover part of a line.
    /// </summary>
    private PixelRect? PlaceLegendInside(PixelRect plot, List<List<(double X, double Y)>> mapped, int s)
    {
        if (Series.Count == 0) return null;
        var (w, h) = LegendSize(s, LegendNames(mapped));
        int margin = 6 * s;
        PixelRect[] corners =
        [
            new(plot.Right - margin - w, plot.Y + margin, w, h),
            new(plot.X + margin, plot.Y + margin, w, h),
            new(plot.Right - margin - w, plot.Bottom - margin - h, w, h),
            new(plot.X + margin, plot.Bottom - margin - h, w, h),
        ];
        foreach (var corner in corners)
            if (corner.X >= plot.X && corner.Y >= plot.Y && mapped.All(points => !Covers(points, corner)))
                return corner;
        return null;
    }

    private void DrawLegend(Canvas canvas, PixelRect box, List<List<(double X, double Y)>> mapped, int s)
    {
        var names = LegendNames(mapped);
        int pad = 5 * s, rowH = ChartStyle.LineHeight(s) + 3 * s, swatch = 12 * s;
        canvas.FillRect(box.X, box.Y, box.Width, box.Height, ChartStyle.LegendFill);
        canvas.DrawRect(box.X, box.Y, box.Width, box.Height, ChartStyle.Grid.Lerp(ChartStyle.Axis, 0.4));
        for (int i = 0; i < names.Count; i++)
        {
            int ty = box.Y + pad + i * rowH;
            double cy = ty + BitmapFont.Ascent * s / 2.0;
            canvas.DrawLine(box.X + pad, cy, box.X + pad + swatch, cy, ColorOf(i), s + 1);
            canvas.DrawText(box.X + pad + swatch + 4 * s, ty, names[i], ChartStyle.Text, s);
        }
    }

    // True if any point, or any of several samples along a segment, falls inside the box (grown by a few
    // pixels so a line grazing the border also counts); sampling keeps sparse series from slipping through.
    private static bool Covers(List<(double X, double Y)> points, PixelRect box)
    {
        var r = new PixelRect(box.X - 3, box.Y - 3, box.Width + 6, box.Height + 6);
        for (int i = 0; i < points.Count; i++)
        {
            if (!double.IsFinite(points[i].X)) continue;
            if (r.Contains(points[i].X, points[i].Y)) return true;
            if (i + 1 >= points.Count || !double.IsFinite(points[i + 1].X)) continue;
            var (dx, dy) = (points[i + 1].X - points[i].X, points[i + 1].Y - points[i].Y);
            int samples = Math.Max(LegendSamples, (int)(Math.Abs(dx) + Math.Abs(dy)) / 4);
            for (int k = 1; k < samples; k++)
                if (r.Contains(points[i].X + dx * k / samples, points[i].Y + dy * k / samples)) return true;
        }
        return false;
    }
}
