namespace ModuleService.Reports;

public sealed partial class Canvas
{
    /// <summary>Anti-aliased straight line with round caps. Thickness is the full stroke width in pixels.</summary>
    public void DrawLine(double x0, double y0, double x1, double y1, Rgba color, double thickness = 1) =>
        DrawPolyline([(x0, y0), (x1, y1)], color, thickness);

    /// <summary>Anti-aliased filled disc centred at (cx, cy); used for markers on isolated data points.</summary>
    public void FillCircle(double cx, double cy, double radius, Rgba color) =>
        StrokeSegments([((cx, cy), (cx, cy))], color, radius);

    /// <summary>
    /// Connected anti-aliased line through the points. Non-finite points break the line (a gap, as for a
    /// missing metric); a finite point with no finite neighbour is drawn as a dot so it does not vanish.
    /// </summary>
    public void DrawPolyline(IReadOnlyList<(double X, double Y)> points, Rgba color, double thickness = 1)
    {
        var segments = new List<((double X, double Y) A, (double X, double Y) B)>();
        for (int i = 0; i < points.Count; i++)
        {
            if (!IsFinite(points[i])) continue;
            bool next = i + 1 < points.Count && IsFinite(points[i + 1]);
            bool prev = i > 0 && IsFinite(points[i - 1]);
            if (next) segments.Add((points[i], points[i + 1]));
            else if (!prev) segments.Add((points[i], points[i]));
        }
        StrokeSegments(segments, color, thickness / 2);
    }

    /// <summary>
    /// Rasterises all segments into one coverage mask (max per pixel) before blending, so joints where
    /// segments overlap are not painted twice and do not show darker knots on translucent strokes.
    /// Coverage = how far the pixel centre is inside the stroke, clamped to [0, 1]: a cheap box-filter
    /// approximation that gives crisp 1 px lines on pixel centres and smooth diagonals elsewhere.
    /// </summary>
    private void StrokeSegments(List<((double X, double Y) A, (double X, double Y) B)> segments, Rgba color, double halfWidth)
    {
        if (segments.Count == 0 || halfWidth <= 0) return;
        double pad = halfWidth + 1;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (a, b) in segments)
        {
            minX = Math.Min(minX, Math.Min(a.X, b.X)); maxX = Math.Max(maxX, Math.Max(a.X, b.X));
            minY = Math.Min(minY, Math.Min(a.Y, b.Y)); maxY = Math.Max(maxY, Math.Max(a.Y, b.Y));
        }
        var (bx0, by0, bx1, by1) = ClipBox(minX - pad, minY - pad, maxX + pad, maxY + pad);
        if (bx0 >= bx1 || by0 >= by1) return;

        int bw = bx1 - bx0;
        var mask = new float[bw * (by1 - by0)];
        foreach (var (a0, b0) in segments)
        {
            if (!ClipSegment(a0, b0, pad, out var a, out var b)) continue;
            var (sx0, sy0, sx1, sy1) = ClipBox(Math.Min(a.X, b.X) - pad, Math.Min(a.Y, b.Y) - pad,
                                               Math.Max(a.X, b.X) + pad, Math.Max(a.Y, b.Y) + pad);
            for (int py = sy0; py < sy1; py++)
                for (int px = sx0; px < sx1; px++)
                {
                    double d = DistanceToSegment(px + 0.5, py + 0.5, a, b);
                    float c = (float)Math.Clamp(halfWidth + 0.5 - d, 0, 1);
                    int m = (py - by0) * bw + (px - bx0);
                    if (c > mask[m]) mask[m] = c;
                }
        }
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] > 0) BlendPixel(bx0 + i % bw, by0 + i / bw, color, mask[i]);
    }

    // Clamps a floating-point box to the canvas; done before any int conversion so huge
    // coordinates (e.g. a log axis fed a tiny value) cannot overflow.
    private (int X0, int Y0, int X1, int Y1) ClipBox(double x0, double y0, double x1, double y1) =>
        ((int)Math.Floor(Math.Clamp(x0, 0, Width)), (int)Math.Floor(Math.Clamp(y0, 0, Height)),
         (int)Math.Ceiling(Math.Clamp(x1, 0, Width)), (int)Math.Ceiling(Math.Clamp(y1, 0, Height)));

    /// <summary>
    /// Liang-Barsky clip of a segment to the canvas grown by <paramref name="pad"/>. Without it, a segment
    /// with enormous endpoints would be rasterised over its whole (clamped) box at a precision-starved
    /// distance and vanish. Clipped ends are placed on the edge exactly (via the slope, not a + t*d),
    /// because with endpoints near 1e300 the parametric form loses every digit near the canvas.
    /// </summary>
    private bool ClipSegment((double X, double Y) a, (double X, double Y) b, double pad,
                             out (double X, double Y) ca, out (double X, double Y) cb)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y, t0 = 0, t1 = 1;
        int e0 = -1, e1 = -1;
        (ca, cb) = (a, b);
        if (!double.IsFinite(dx) || !double.IsFinite(dy)) return false;
        double[] edges = [-pad, Width + pad, -pad, Height + pad];
        var tests = new[] { (-dx, a.X - edges[0]), (dx, edges[1] - a.X), (-dy, a.Y - edges[2]), (dy, edges[3] - a.Y) };
        for (int i = 0; i < 4; i++)
        {
            var (p, q) = tests[i];
            if (p == 0) { if (q < 0) return false; continue; }
            double r = q / p;
            if (p < 0 && r > t0) (t0, e0) = (r, i);
            else if (p > 0 && r < t1) (t1, e1) = (r, i);
            if (t0 > t1) return false;
        }
        if (e0 >= 0) ca = OnEdge(a, dx, dy, e0, edges[e0]);
        if (e1 >= 0) cb = OnEdge(a, dx, dy, e1, edges[e1]);
        return true;
    }

    private static (double X, double Y) OnEdge((double X, double Y) a, double dx, double dy, int edge, double at) =>
        edge < 2 ? (at, a.Y + (at - a.X) * (dy / dx)) : (a.X + (at - a.Y) * (dx / dy), at);

    private static double DistanceToSegment(double px, double py, (double X, double Y) a, (double X, double Y) b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        double len2 = dx * dx + dy * dy;
        double t = len2 == 0 ? 0 : Math.Clamp(((px - a.X) * dx + (py - a.Y) * dy) / len2, 0, 1);
        double ex = px - (a.X + t * dx), ey = py - (a.Y + t * dy);
        return Math.Sqrt(ex * ex + ey * ey);
    }

    private static bool IsFinite((double X, double Y) p) => double.IsFinite(p.X) && double.IsFinite(p.Y);
}
