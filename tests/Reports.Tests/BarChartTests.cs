using Xunit;

namespace ModuleService.Reports.Tests;

public class BarChartTests
{
    static BarChart Sample() => new BarChart(["en", "py", "de"]) { Title = "perplexity", YLabel = "PPL" }
        .Add("before", [10.0, 8, 300])
        .Add("after", [10.5, 8.2, 30]);

    [Fact]
    public void Renders_every_series_in_its_colour_on_white()
    {
        var png = PngTestDecoder.Decode(Sample().ToPng());

        Assert.Equal((800, 500), (png.Width, png.Height));
        Assert.Equal(Rgba.White, png.Pixel(0, 0));
        var colours = png.AllPixels().ToHashSet();
        Assert.Contains(ColorMap.SeriesColor(0), colours);
        Assert.Contains(ColorMap.SeriesColor(1), colours);
    }

    [Fact]
    public void Taller_values_get_taller_bars()
    {
        var colour = ColorMap.SeriesColor(0);
        var png = PngTestDecoder.Decode(new BarChart(["a", "b"]).Add("x", [1.0, 4]).ToPng());
        // Bar height per column of pixels; the right-hand group's bar must be about 4× the left one's.
        var heights = Enumerable.Range(0, png.Width)
            .Select(x => Enumerable.Range(0, png.Height).Count(y => png.Pixel(x, y) == colour)).ToList();
        int left = heights.Take(png.Width / 2).Max(), right = heights.Skip(png.Width / 2).Max();
        Assert.InRange(right / (double)left, 3.5, 4.5);
    }

    [Fact]
    public void A_value_count_that_does_not_match_the_groups_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new BarChart(["a", "b"]).Add("x", [1.0]));
    }
}
