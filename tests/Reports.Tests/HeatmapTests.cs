using Xunit;

namespace ModuleService.Reports.Tests;

public class HeatmapTests
{
    private static Rgba CellCentre(Heatmap map, DecodedPng png, int r, int c)
    {
        var layout = map.ComputeLayout(png.Width, png.Height);
        var (x0, x1) = Heatmap.CellEdges(layout.Grid.X, layout.Grid.Width, c, map.Columns);
        var (y0, y1) = Heatmap.CellEdges(layout.Grid.Y, layout.Grid.Height, r, map.Rows);
        return png.Pixel((x0 + x1) / 2, (y0 + y1) / 2);
    }

    [Fact]
    public void Cell_colours_are_ordered_by_value()
    {
        double[] values = [5, 1, 3, 0, 4, 2, 2.5];
        var map = new Heatmap([values]);
        var png = PngTestDecoder.Decode(map.ToPng());

        var byValue = Enumerable.Range(0, values.Length).OrderBy(c => values[c])
            .Select(c => CellCentre(map, png, 0, c)).ToList();
        // Viridis brightness rises monotonically, so sorting by value must sort by luminance.
        for (int i = 1; i < byValue.Count; i++)
            Assert.True(byValue[i].Luminance > byValue[i - 1].Luminance, $"cell #{i} not brighter than #{i - 1}");
        Assert.Equal(ColorMap.Viridis(0), CellCentre(map, png, 0, 3));
        Assert.Equal(ColorMap.Viridis(1), CellCentre(map, png, 0, 0));
    }

    [Fact]
    public void Two_dimensional_cells_map_rows_and_columns_and_grey_out_NaN()
    {
        var values = new double[3, 4];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                values[r, c] = r * 4 + c;
        values[1, 2] = double.NaN;
        var map = new Heatmap(values) { Title = "usage", ShowValues = true };
        var png = PngTestDecoder.Decode(map.ToPng());

        Assert.True(CellCentre(map, png, 2, 3).Luminance > CellCentre(map, png, 0, 0).Luminance);
        // With ShowValues the centre pixel may be ink, so check NaN via the cell corner instead.
        var layout = map.ComputeLayout(800, 500);
        var (x0, _) = Heatmap.CellEdges(layout.Grid.X, layout.Grid.Width, 2, 4);
        var (y0, _) = Heatmap.CellEdges(layout.Grid.Y, layout.Grid.Height, 1, 3);
        Assert.Equal(new Rgba(215, 215, 215), png.Pixel(x0 + 1, y0 + 1));
    }

    [Fact]
    public void Colour_bar_runs_from_min_at_bottom_to_max_at_top()
    {
        var map = new Heatmap(new double[,] { { 0, 1 }, { 2, 3 } });
        var png = PngTestDecoder.Decode(map.ToPng());
        var bar = map.ComputeLayout(800, 500).ColorBar;
        int x = bar.X + bar.Width / 2;
        Assert.Equal(ColorMap.Viridis(1), png.Pixel(x, bar.Y));
        Assert.Equal(ColorMap.Viridis(0), png.Pixel(x, bar.Bottom - 1));
    }

    [Fact]
    public void Fixed_range_clamps_colours()
    {
        var map = new Heatmap(new double[,] { { -5, 0.5, 9 } }) { Min = 0, Max = 1 };
        var png = PngTestDecoder.Decode(map.ToPng());
        Assert.Equal(ColorMap.Viridis(0), CellCentre(map, png, 0, 0));
        Assert.Equal(ColorMap.Viridis(0.5), CellCentre(map, png, 0, 1));
        Assert.Equal(ColorMap.Viridis(1), CellCentre(map, png, 0, 2));
    }

    public static TheoryData<string> Degenerate() => ["empty", "no columns", "all NaN", "constant", "jagged", "many experts", "infinite"];

    [Theory]
    [MemberData(nameof(Degenerate))]
    public void Degenerate_input_renders_without_throwing(string scenario)
    {
        var rnd = new Random(1);
        Heatmap map = scenario switch
        {
            "empty" => new Heatmap(new double[0, 0]),
            "no columns" => new Heatmap(new double[4, 0]),
            "all NaN" => new Heatmap(new double[,] { { double.NaN, double.NaN } }),
            "constant" => new Heatmap(new double[,] { { 2, 2 }, { 2, 2 } }),
            "jagged" => new Heatmap([[1.0, 2, 3], [4.0], []]),
            "many experts" => new Heatmap(Enumerable.Range(0, 48).Select(_ => (IReadOnlyList<double>)Enumerable.Range(0, 128).Select(_ => rnd.NextDouble()).ToArray()).ToList()),
            "infinite" => new Heatmap(new double[,] { { double.PositiveInfinity, 1, double.NegativeInfinity } }),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        map.Title = scenario;
        map.ShowValues = true;
        map.XLabel = "expert";
        map.YLabel = "layer";
        map.ColorBarLabel = "share";
        foreach (var (w, h) in new[] { (800, 500), (100, 60), (1, 1) })
        {
            var png = PngTestDecoder.Decode(map.ToPng(w, h));
            Assert.Equal((w, h), (png.Width, png.Height));
        }
    }
}
