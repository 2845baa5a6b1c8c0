namespace ModuleService.Reports;

/// <summary>
/// One named line. X and Y are paired by index; if their lengths differ the extra values are ignored.
/// NaN/infinite values (and non-positive Y on a log axis) become gaps rather than errors, because
/// training metrics routinely contain missing or diverged steps.
/// </summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, Rgba? Color = null)
{
    /// <summary>Number of usable (x, y) pairs.</summary>
    public int Count => Math.Min(X.Count, Y.Count);

    /// <summary>True when the pair at <paramref name="i"/> can be plotted on the given y-axis kind.</summary>
    public bool IsPlottable(int i, bool logY) =>
        double.IsFinite(X[i]) && double.IsFinite(Y[i]) && (!logY || Y[i] > 0);
}
