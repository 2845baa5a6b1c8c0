namespace ModuleService.Reports;

/// <summary>An axis range with its tick positions, already widened to "nice" round bounds.</summary>
public sealed record AxisScale(double Min, double Max, IReadOnlyList<double> Ticks, bool IsLog)
{
    /// <summary>
    /// Linear ticks at 1, 2 or 5 x 10^k steps (Heckbert's "nice numbers"), so labels are short round values.
    /// Degenerate input (empty, constant, non-finite) still yields a usable range instead of NaN pixels.
    /// </summary>
    public static AxisScale Linear(double min, double max, int targetTicks = 6)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) (min, max) = (0, 1);
        if (min > max) (min, max) = (max, min);
        // Beyond ~1e300 the span (max - min) overflows to infinity and every tick becomes NaN.
        (min, max) = (Math.Clamp(min, -1e300, 1e300), Math.Clamp(max, -1e300, 1e300));
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
        {
            // A flat series (e.g. a metric that never moved): centre it in a small band.
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceNumber((max - min) / Math.Max(1, targetTicks - 1));
        double lo = Snap(Math.Floor(min / step) * step, step), hi = Snap(Math.Ceiling(max / step) * step, step);
        var ticks = new List<double>();
        for (int i = 0; lo + i * step <= hi + step * 1e-9; i++)
            ticks.Add(Snap(lo + i * step, step));
        return new AxisScale(lo, hi, ticks, false) { Step = step };
    }

    /// <summary>
    /// Log10 axis for strictly positive data. Over a few decades ticks are 1-2-5 multiples so a loss that
    /// only falls from 4 to 2 still gets labels; over many decades only (every n-th) power of ten is labelled.
    /// </summary>
    public static AxisScale Log(double min, double max, int targetTicks = 6)
    {
        if (!(min > 0) || !double.IsFinite(min) || !(max > 0) || !double.IsFinite(max)) (min, max) = (1, 10);
        if (min > max) (min, max) = (max, min);
        int lo = (int)Math.Floor(Math.Log10(min)), hi = (int)Math.Ceiling(Math.Log10(max));
        if (hi == lo) hi++;

        var candidates = new List<double>();
        for (int k = lo; k <= hi; k++)
            foreach (double m in (double[])[1, 2, 5])
                candidates.Add(Snap(m * Math.Pow(10, k), Math.Pow(10, k)));
        double axisMin = candidates.Last(c => c <= min * (1 + 1e-9));
        double axisMax = candidates.First(c => c >= max * (1 - 1e-9));
        var ticks = candidates.Where(c => c >= axisMin && c <= axisMax).ToList();
        if (ticks.Count <= targetTicks + 3)
            return new AxisScale(axisMin, axisMax, ticks, true);

        int every = Math.Max(1, (int)Math.Ceiling((hi - lo) / (double)Math.Max(1, targetTicks - 1)));
        var decades = new List<double>();
        for (int k = lo; k <= hi; k += every) decades.Add(Math.Pow(10, k));
        if (decades[^1] < max) decades.Add(Math.Pow(10, lo + (int)Math.Ceiling((hi - lo) / (double)every) * every));
        return new AxisScale(decades[0], decades[^1], decades, true);
    }

    /// <summary>Linear tick spacing (0 for log axes); drives how many decimals the labels need.</summary>
    public double Step { get; private init; }

    /// <summary>Position of a value along the axis in [0, 1] (outside for out-of-range values).</summary>
    public double Normalize(double value) => IsLog
        ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
        : (value - Min) / (Max - Min);

    /// <summary>Tick label text, formatted consistently for the whole axis.</summary>
    public string Label(double tick) => IsLog ? NumberFormat.Compact(tick) : NumberFormat.ForStep(tick, Step, Math.Max(Math.Abs(Min), Math.Abs(Max)));

    private static double NiceNumber(double rough)
    {
        double exp = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / exp;
        // Round to the nearest nice value (not up), so the tick count stays close to the target.
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * exp;
    }

    // Removes float noise such as 0.30000000000000004 (and -0) so labels and equality checks stay clean.
    private static double Snap(double value, double step)
    {
        int decimals = Math.Max(0, 1 - (int)Math.Floor(Math.Log10(step)));
        double v = decimals <= 15 ? Math.Round(value, decimals) : value;
        return v == 0 ? 0 : v;
    }
}
