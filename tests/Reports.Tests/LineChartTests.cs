using Xunit;

namespace ModuleService.Reports.Tests;

public class LineChartTests
{
    [Fact]
    public void Renders_default_size_with_white_background_and_series_colours()
    {
        var chart = Samples.LossCurve();
        var png = PngTestDecoder.Decode(chart.ToPng());

        Assert.Equal((800, 500), (png.Width, png.Height));
        Assert.Equal(Rgba.White, png.Pixel(0, 0));
        Assert.Equal(Rgba.White, png.Pixel(799, 499));
        var colours = png.AllPixels().ToHashSet();
        Assert.Contains(ColorMap.SeriesColor(0), colours); // train loss
        Assert.Contains(ColorMap.SeriesColor(1), colours); // validation loss
    }

    [Fact]
    public void Explicit_series_colour_is_used()
    {
        var purple = new Rgba(120, 0, 200);
        var chart = new LineChart { Title = "custom" }.Add("x", [1.0, 3, 2], purple);
        Assert.Contains(purple, PngTestDecoder.Decode(chart.ToPng(400, 250)).AllPixels());
    }

    [Fact]
    public void Higher_values_are_drawn_higher()
    {
        var colour = new Rgba(200, 0, 0);
        var png = PngTestDecoder.Decode(new LineChart().Add("up", [0.0, 0, 0, 10, 10], colour).ToPng());
        var ys = Enumerable.Range(0, png.Width)
            .Select(x => Enumerable.Range(0, png.Height).Where(y => png.Pixel(x, y) == colour).DefaultIfEmpty(-1).Min())
            .Where(y => y >= 0).ToList();
        Assert.True(ys.Count > 100);
        Assert.True(ys[0] > ys[^1], "the line should end higher up (smaller y) than it starts");
    }

    public static TheoryData<string> Degenerate() => ["empty chart", "empty series", "all NaN", "mixed NaN", "single point", "log with zeros", "log all negative", "constant", "mismatched lengths", "huge values"];

    [Theory]
    [MemberData(nameof(Degenerate))]
    public void Degenerate_input_renders_without_throwing(string scenario)
    {
        var chart = new LineChart { Title = scenario, XLabel = "step", YLabel = "loss" };
        double nan = double.NaN;
        _ = scenario switch
        {
            "empty chart" => chart,
            "empty series" => chart.Add("train loss", Array.Empty<double>()),
            "all NaN" => chart.Add("train loss", [nan, nan, nan]),
            "mixed NaN" => chart.Add("a", [nan, 2, nan, 3, 4, double.PositiveInfinity, 1]).Add("b", [nan]),
            "single point" => chart.Add("a", [5.0]),
            "log with zeros" => Log(chart).Add("a", [0.0, 1, 0.1, -3, 0.01]),
            "log all negative" => Log(chart).Add("a", [-1.0, -2]),
            "constant" => chart.Add("a", [3.0, 3, 3]),
            "mismatched lengths" => chart.Add("a", [1.0, 2, 3], [1.0, 2]),
            "huge values" => chart.Add("a", [double.MaxValue, -double.MaxValue, 1e-300]),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        foreach (var (w, h) in new[] { (800, 500), (120, 80), (1, 1) })
        {
            var png = PngTestDecoder.Decode(chart.ToPng(w, h));
            Assert.Equal((w, h), (png.Width, png.Height));
        }
    }

    private static LineChart Log(LineChart chart)
    {
        chart.LogY = true;
        return chart;
    }
}
