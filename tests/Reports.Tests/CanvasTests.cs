using Xunit;

namespace ModuleService.Reports.Tests;

public class CanvasTests
{
    private static readonly Rgba Red = new(255, 0, 0);

    [Fact]
    public void FillRect_clips_to_the_canvas()
    {
        var canvas = new Canvas(10, 10);
        canvas.FillRect(-5, 8, 100, 100, Red);
        Assert.Equal(Red, canvas.GetPixel(0, 9));
        Assert.Equal(Red, canvas.GetPixel(9, 8));
        Assert.Equal(Rgba.White, canvas.GetPixel(0, 7));
    }

    [Fact]
    public void Translucent_colours_blend_over_the_background()
    {
        var canvas = new Canvas(1, 1);
        canvas.SetPixel(0, 0, new Rgba(0, 0, 0, 128));
        Rgba p = canvas.GetPixel(0, 0);
        Assert.InRange(p.R, 125, 129);
        Assert.Equal(255, p.A);
    }

    [Fact]
    public void Horizontal_line_on_pixel_centres_is_crisp_and_diagonal_is_anti_aliased()
    {
        var canvas = new Canvas(20, 20);
        canvas.DrawLine(2.5, 5.5, 17.5, 5.5, Red);
        Assert.Equal(Red, canvas.GetPixel(10, 5));
        Assert.Equal(Rgba.White, canvas.GetPixel(10, 4));
        Assert.Equal(Rgba.White, canvas.GetPixel(10, 6));

        canvas.DrawLine(0, 10, 19, 19, Red, 2);
        var partial = Enumerable.Range(0, 20).SelectMany(x => Enumerable.Range(10, 10).Select(y => canvas.GetPixel(x, y)))
            .Where(p => p != Red && p != Rgba.White);
        Assert.NotEmpty(partial);
    }

    [Fact]
    public void Polyline_breaks_at_NaN_and_marks_isolated_points()
    {
        var canvas = new Canvas(30, 10);
        canvas.DrawPolyline([(2.5, 5.5), (8.5, 5.5), (double.NaN, 5.5), (20.5, 5.5), (double.NaN, double.NaN)], Red, 1);
        Assert.Equal(Red, canvas.GetPixel(5, 5));
        Assert.Equal(Rgba.White, canvas.GetPixel(14, 5));   // the gap
        Assert.Equal(Red, canvas.GetPixel(20, 5));          // isolated point drawn as a dot
    }

    [Fact]
    public void Huge_coordinates_do_not_throw()
    {
        var canvas = new Canvas(10, 10);
        canvas.DrawLine(-1e300, 5.5, 1e300, 5.5, Red);
        canvas.DrawLine(double.NaN, 0, 5, 5, Red);
        canvas.DrawLine(double.MaxValue, 0, -double.MaxValue, 9, Red); // overflows: dropped, not thrown
        Assert.Equal(Red, canvas.GetPixel(5, 5));
        Assert.Equal(Red, canvas.GetPixel(0, 5));
    }

    [Fact]
    public void Text_draws_ink_inside_its_measured_box_only()
    {
        var canvas = new Canvas(100, 30);
        canvas.DrawText(3, 4, "Loss 1.5%", Rgba.Black, 2);
        int w = BitmapFont.MeasureWidth("Loss 1.5%", 2), h = BitmapFont.MeasureHeight(2);
        int inside = 0;
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < 100; x++)
            {
                if (canvas.GetPixel(x, y) == Rgba.White) continue;
                Assert.True(x >= 3 && x < 3 + w && y >= 4 && y < 4 + h, $"ink outside the text box at ({x},{y})");
                inside++;
            }
        Assert.True(inside > 50);
    }

    [Fact]
    public void Vertical_text_occupies_the_rotated_box()
    {
        var canvas = new Canvas(30, 100);
        canvas.DrawTextVertical(2, 3, "loss", Rgba.Black, 2);
        int len = BitmapFont.MeasureWidth("loss", 2);
        for (int y = 0; y < 100; y++)
            for (int x = 0; x < 30; x++)
                if (canvas.GetPixel(x, y) != Rgba.White)
                    Assert.True(x >= 2 && x < 2 + BitmapFont.MeasureHeight(2) && y >= 3 && y < 3 + len);
    }

    [Fact]
    public void Font_covers_the_characters_used_by_labels()
    {
        const string required = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,-_:%()/=+ ";
        Assert.All(required, c => Assert.True(BitmapFont.Supports(c), $"missing glyph '{c}'"));
    }
}
