using Xunit;

namespace ModuleService.Reports.Tests;

/// <summary>
/// Writes sample images to the temp folder so a person can eyeball them after a test run
/// (legibility is not something an assertion can judge).
/// </summary>
public class SampleImageTests
{
    public static string Folder => Path.Combine(Path.GetTempPath(), "modulesvc-report-samples");

    [Fact]
    public void Writes_sample_images_for_review()
    {
        Directory.CreateDirectory(Folder);
        var loss = Samples.LossCurve();
        var logLoss = Samples.LossCurve();
        logLoss.LogY = true;
        logLoss.Title = "loss (log scale)";
        var files = new Dictionary<string, byte[]>
        {
            ["sample-loss-curve.png"] = loss.ToPng(),
            ["sample-loss-curve-log.png"] = logLoss.ToPng(),
            ["sample-loss-curve-small.png"] = loss.ToPng(400, 250),
            ["sample-expert-heatmap.png"] = Samples.ExpertUsage().ToPng(),
            ["sample-expert-heatmap-wide.png"] = Samples.WideHeatmap().ToPng(),
            ["sample-many-series.png"] = Samples.ManySeries().ToPng(),
            ["sample-empty.png"] = new LineChart { Title = "empty", XLabel = "step", YLabel = "loss" }.Add("train loss", []).ToPng(),
        };
        foreach (var (name, png) in files)
        {
            string path = Path.Combine(Folder, name);
            File.WriteAllBytes(path, png);
            PngTestDecoder.Decode(File.ReadAllBytes(path));
        }
    }
}
