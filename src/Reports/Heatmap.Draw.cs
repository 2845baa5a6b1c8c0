namespace ModuleService.Reports;

public sealed partial class Heatmap
{
    /// <summary>Pixel geometry of a rendered heatmap; exposed to tests so they can sample cell colours.</summary>
    internal sealed record HeatmapLayout(int Scale, PixelRect Grid, PixelRect ColorBar, int RowLabelStep, int ColumnLabelStep);

    /// <summary>
    /// Margins are sized from the measured label text. When labels are wider than their cells (many experts),
    /// only every n-th label is printed so the remaining ones stay readable.
    /// </summary>
    internal HeatmapLayout ComputeLayout(int width, int height)
    {
        int s = ChartStyle.FontScale(width, height), pad = 8 * s, line = ChartStyle.LineHeight(s);
        int top = pad + (Title.Length > 0 ? ChartStyle.LineHeight(s + 1) + pad : line / 2);
        int rowLabelW = Enumerable.Range(0, Rows).Select(r => BitmapFont.MeasureWidth(RowLabel(r), s)).DefaultIfEmpty(0).Max();
        int colLabelW = Enumerable.Range(0, Columns).Select(c => BitmapFont.MeasureWidth(ColumnLabel(c), s)).DefaultIfEmpty(0).Max();
        var (lo, hi) = Range();
        int barLabelW = BarTicks(lo, hi).Max(t => BitmapFont.MeasureWidth(FormatValue(t), s));

        int left = pad + (YLabel.Length > 0 ? line + pad : 0) + rowLabelW + 4 * s;
        int bottom = pad + (XLabel.Length > 0 ? line + pad : 0) + line + 4 * s;
        int barW = 12 * s, barGap = 10 * s;
        int right = pad + (ColorBarLabel.Length > 0 ? line + pad : 0) + barLabelW + 8 * s + barW + barGap;
        var grid = new PixelRect(left, top, Math.Max(1, width - left - right), Math.Max(1, height - top - bottom - line / 2));
        var bar = new PixelRect(grid.Right + barGap, grid.Y, barW, grid.Height);

        int rowStep = Step(grid.Height, Rows, BitmapFont.Ascent * s + 2 * s);
        int colStep = Step(grid.Width, Columns, colLabelW + 4 * s);
        return new HeatmapLayout(s, grid, bar, rowStep, colStep);
    }

    // Smallest n such that n cells are at least `needed` pixels long.
    private static int Step(int length, int count, int needed) =>
        count == 0 ? 1 : Math.Max(1, (int)Math.Ceiling(needed / Math.Max(1e-9, length / (double)count)));

    private static double[] BarTicks(double lo, double hi) => hi > lo ? [lo, (lo + hi) / 2, hi] : [lo];

    private void DrawCells(Canvas canvas, HeatmapLayout layout, double lo, double hi)
    {
        PixelRect g = layout.Grid;
        for (int r = 0; r < Rows; r++)
        {
            var (y0, y1) = CellEdges(g.Y, g.Height, r, Rows);
            for (int c = 0; c < Columns; c++)
            {
                var (x0, x1) = CellEdges(g.X, g.Width, c, Columns);
                // A 1 px white gutter separates cells once they are big enough that it does not dominate.
                int w = x1 - x0 - (x1 - x0 >= 8 ? 1 : 0), h = y1 - y0 - (y1 - y0 >= 8 ? 1 : 0);
                Rgba color = ColorFor(Values[r, c], lo, hi);
                canvas.FillRect(x0, y0, w, h, color);
                if (ShowValues && double.IsFinite(Values[r, c]))
                    DrawCellValue(canvas, layout.Scale, x0, y0, w, h, FormatValue(Values[r, c]), color);
            }
        }
    }

    // Tries the normal text size, then the smallest, and gives up silently if the value cannot fit.
    private static void DrawCellValue(Canvas canvas, int s, int x, int y, int w, int h, string text, Rgba cell)
    {
        Rgba ink = cell.Luminance > 0.5 ? ChartStyle.Text : Rgba.White;
        foreach (int scale in s > 1 ? [s, 1] : (int[])[1])
        {
            int tw = BitmapFont.MeasureWidth(text, scale), th = BitmapFont.Ascent * scale;
            if (tw > w - 2 || th > h - 2) continue;
            canvas.DrawText(x + (w - tw) / 2, y + (h - th) / 2, text, ink, scale);
            return;
        }
    }

    private void DrawAxisLabels(Canvas canvas, HeatmapLayout layout)
    {
        int s = layout.Scale, pad = 8 * s, line = ChartStyle.LineHeight(s);
        PixelRect g = layout.Grid;
        for (int r = 0; r < Rows; r += layout.RowLabelStep)
        {
            var (y0, y1) = CellEdges(g.Y, g.Height, r, Rows);
            canvas.DrawTextRight(g.X - 4 * s, (y0 + y1) / 2 - BitmapFont.Ascent * s / 2, RowLabel(r), ChartStyle.Text, s);
        }
        for (int c = 0; c < Columns; c += layout.ColumnLabelStep)
        {
            var (x0, x1) = CellEdges(g.X, g.Width, c, Columns);
            canvas.DrawTextCentered((x0 + x1) / 2, g.Bottom + 4 * s, ColumnLabel(c), ChartStyle.Text, s);
        }
        if (Title.Length > 0)
            canvas.DrawTextCentered(canvas.Width / 2, pad, Title, ChartStyle.Text, s + 1, bold: true);
        if (XLabel.Length > 0)
            canvas.DrawTextCentered(g.X + g.Width / 2, g.Bottom + 4 * s + line + pad, XLabel, ChartStyle.Text, s);
        if (YLabel.Length > 0)
            canvas.DrawTextVertical(pad, g.Y + g.Height / 2 - BitmapFont.MeasureWidth(YLabel, s) / 2, YLabel, ChartStyle.Text, s);
    }

    /// <summary>Vertical gradient, max at the top, labelled at min, middle and max so values can be read off.</summary>
    private void DrawColorBar(Canvas canvas, HeatmapLayout layout, double lo, double hi)
    {
        int s = layout.Scale, pad = 8 * s;
        PixelRect bar = layout.ColorBar;
        for (int y = 0; y < bar.Height; y++)
            canvas.FillRect(bar.X, bar.Y + y, bar.Width, 1, ColorMap.Viridis(1 - y / Math.Max(1.0, bar.Height - 1)));
        canvas.DrawRect(bar.X - 1, bar.Y - 1, bar.Width + 2, bar.Height + 2, ChartStyle.Axis);

        int labelRight = bar.Right;
        foreach (double t in BarTicks(lo, hi))
        {
            double frac = hi > lo ? (t - lo) / (hi - lo) : 0.5;
            int y = bar.Bottom - 1 - (int)Math.Round(frac * (bar.Height - 1));
            canvas.FillRect(bar.Right + 1, y, 3 * s, 1, ChartStyle.Axis);
            string label = FormatValue(t);
            // A clear gap after the tick mark, or "-0.31" would read as a negative number.
            canvas.DrawText(bar.Right + 8 * s, y - BitmapFont.Ascent * s / 2, label, ChartStyle.Text, s);
            labelRight = Math.Max(labelRight, bar.Right + 8 * s + BitmapFont.MeasureWidth(label, s));
        }
        if (ColorBarLabel.Length > 0)
            canvas.DrawTextVertical(labelRight + pad, bar.Y + bar.Height / 2 - BitmapFont.MeasureWidth(ColorBarLabel, s) / 2,
                ColorBarLabel, ChartStyle.Text, s);
    }
}
