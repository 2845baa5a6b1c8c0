namespace ModuleService.Reports;

public sealed partial class LineChart
{
    private void DrawGridAndAxes(Canvas canvas, PixelRect plot, AxisScale x, AxisScale y, int s)
    {
        int tick = 4 * s;
        int lastLabelRight = int.MinValue;
        foreach (double t in x.Ticks)
        {
            int px = (int)Math.Floor(Px(plot, x, t));
            canvas.FillRect(px, plot.Y, 1, plot.Height, ChartStyle.Grid);
            canvas.FillRect(px, plot.Bottom, 1, tick, ChartStyle.Axis);
            string label = x.Label(t);
            int w = BitmapFont.MeasureWidth(label, s);
            // Skip a label that would collide with the previous one rather than print an unreadable smear.
            if (px - w / 2 < lastLabelRight + 3 * s) continue;
            canvas.DrawText(px - w / 2, plot.Bottom + tick + 3 * s, label, ChartStyle.Text, s);
            lastLabelRight = px - w / 2 + w;
        }
        foreach (double t in y.Ticks)
        {
            int py = (int)Math.Floor(Py(plot, y, t));
            canvas.FillRect(plot.X, py, plot.Width, 1, ChartStyle.Grid);
            canvas.FillRect(plot.X - tick, py, tick, 1, ChartStyle.Axis);
            // Centre on the cap height (not the descender cell) so digits sit level with the tick.
            canvas.DrawTextRight(plot.X - tick - 3 * s, py - BitmapFont.Ascent * s / 2, y.Label(t), ChartStyle.Text, s);
        }
        canvas.DrawRect(plot.X - 1, plot.Y - 1, plot.Width + 2, plot.Height + 2, ChartStyle.Axis);
    }

    private static void DrawSeries(Canvas canvas, List<(double X, double Y)> points, Rgba color, int s)
    {
        double thickness = s >= 2 ? 2 : 1.5;
        canvas.DrawPolyline(points, color, thickness);
        // A point with no plottable neighbour would be a barely visible dot; give it a marker instead.
        for (int i = 0; i < points.Count; i++)
        {
            bool prev = i > 0 && double.IsFinite(points[i - 1].X);
            bool next = i + 1 < points.Count && double.IsFinite(points[i + 1].X);
            if (double.IsFinite(points[i].X) && !prev && !next)
                canvas.FillCircle(points[i].X, points[i].Y, 1.5 * s + 0.5, color);
        }
    }

    private void DrawLabels(Canvas canvas, PixelRect plot, int s)
    {
        int pad = 8 * s, line = ChartStyle.LineHeight(s);
        if (Title.Length > 0)
            canvas.DrawTextCentered(canvas.Width / 2, pad, Title, ChartStyle.Text, s + 1, bold: true);
        if (XLabel.Length > 0)
            canvas.DrawTextCentered(plot.X + plot.Width / 2, canvas.Height - pad - line, XLabel, ChartStyle.Text, s);
        if (YLabel.Length > 0)
            canvas.DrawTextVertical(pad, plot.Y + plot.Height / 2 - BitmapFont.MeasureWidth(YLabel, s) / 2, YLabel, ChartStyle.Text, s);
    }
}
