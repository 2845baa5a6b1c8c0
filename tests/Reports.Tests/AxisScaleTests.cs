using Xunit;

namespace ModuleService.Reports.Tests;

public class AxisScaleTests
{
    [Fact]
    public void Linear_ticks_are_round_and_cover_the_data()
    {
        var axis = AxisScale.Linear(0.13, 2.87);
        Assert.Equal([0, 0.5, 1, 1.5, 2, 2.5, 3], axis.Ticks);
        Assert.Equal(["0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"], axis.Ticks.Select(axis.Label));
    }

    [Fact]
    public void Linear_handles_constant_and_non_finite_ranges()
    {
        var flat = AxisScale.Linear(2, 2);
        Assert.True(flat.Min < 2 && flat.Max > 2);
        var bad = AxisScale.Linear(double.NaN, double.PositiveInfinity);
        Assert.True(bad.Max > bad.Min && bad.Ticks.Count >= 2);
    }

    [Fact]
    public void Log_ticks_use_1_2_5_for_short_ranges_and_decades_for_long_ones()
    {
        var narrow = AxisScale.Log(1.7, 4.2);
        Assert.Equal([1, 2, 5], narrow.Ticks);
        var wide = AxisScale.Log(1e-6, 3e2);
        Assert.True(wide.Ticks.Count <= 10);
        Assert.All(wide.Ticks, t => Assert.Equal(Math.Round(Math.Log10(t)), Math.Log10(t), 9));
        Assert.True(wide.Min <= 1e-6 && wide.Max >= 3e2);
    }

    [Fact]
    public void Labels_are_culture_invariant()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("0.25", NumberFormat.ForStep(0.25, 0.05, 1));
            Assert.Equal("1.235", NumberFormat.Compact(1.23456));
            Assert.Equal("1e-5", NumberFormat.Compact(1e-5));
        }
        finally { Thread.CurrentThread.CurrentCulture = previous; }
    }
}
