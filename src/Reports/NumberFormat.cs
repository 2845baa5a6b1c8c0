using System.Globalization;

namespace ModuleService.Reports;

/// <summary>
/// Short, culture-invariant number labels. The font has no glyphs for locale-specific separators and a
/// report must read the same on every node, so InvariantCulture is used throughout.
/// </summary>
public static class NumberFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Label for a value on a linear axis with tick spacing <paramref name="step"/>: just enough decimals to
    /// tell neighbouring ticks apart, switching to scientific notation for very large or tiny magnitudes.
    /// </summary>
    public static string ForStep(double value, double step, double magnitude)
    {
        if (value == 0) return "0";
        if (magnitude >= 1e6 || step < 1e-4) return value.ToString("0.###e+0", Inv);
        return value.ToString("F" + DecimalsFor(step), Inv);
    }

    /// <summary>Up to 4 significant digits, scientific outside [0.001, 100000); used for single values.</summary>
    public static string Compact(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return "0";
        double abs = Math.Abs(value);
        if (abs >= 1e5 || abs < 1e-3) return value.ToString("0.##e+0", Inv);
        int digits = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(abs)));
        return Math.Round(value, digits).ToString("0.######", Inv);
    }

    /// <summary>Formats with a .NET format string in the invariant culture (e.g. "0.00", "P0").</summary>
    public static string Custom(double value, string format) => value.ToString(format, Inv);

    private static int DecimalsFor(double step)
    {
        for (int d = 0; d < 10; d++)
        {
            double scaled = step * Math.Pow(10, d);
            if (Math.Abs(scaled - Math.Round(scaled)) < 1e-6 * scaled) return d;
        }
        return 10;
    }
}
