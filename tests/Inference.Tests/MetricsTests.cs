using ModuleService.Inference.Batching;
using ModuleService.Inference.Telemetry;
using Xunit;

namespace ModuleService.Inference.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Prometheus_ReportsRequestsTokensLatenciesAndExperts()
    {
        using var model = TestModels.Load(TestModels.Tiny);
        var usage = new ExpertUsage();
        var metrics = new EngineMetrics(usage);
        await using var engine = new BatchEngine("asm \"x\"", model, TestModels.Options(), metrics, usage);
        await Task.WhenAll(engine.Submit(new CompletionJob { PromptTokens = [5, 6, 7], MaxNewTokens = 5 }).CollectAsync(),
                           engine.Submit(new CompletionJob { PromptTokens = [8, 9], MaxNewTokens = 4 }).CollectAsync());

        var writer = new StringWriter();
        metrics.WritePrometheus(writer);
        var lines = writer.ToString().Split('\n');

        Assert.Contains("modsvc_inference_requests_total{outcome=\"completed\"} 2", lines);
        Assert.Contains("modsvc_inference_prompt_tokens_total 5", lines);
        Assert.Contains("modsvc_inference_completion_tokens_total 9", lines);
        Assert.Contains("modsvc_inference_queue_depth 0", lines);
        Assert.Contains("modsvc_inference_time_to_first_token_seconds_count 2", lines);
        Assert.Contains("modsvc_inference_inter_token_latency_seconds_count 7", lines);
        Assert.Contains(lines, l => l.StartsWith("modsvc_expert_selections_total{model=\"asm \\\"x\\\"\",layer=\"1\",kind=\"mlp\",expert=\"7\"} "));
        Assert.Contains("# TYPE modsvc_expert_gate_sum_total counter", lines);
        Assert.All(lines.Where(l => l.Length > 0 && !l.StartsWith('#')), l => Assert.Matches(@"^[a-z_]+(\{.*\})? \S+$", l));
    }

    [Fact]
    public void Histogram_BucketsAreCumulative()
    {
        var histogram = new Histogram(0.1, 1);
        foreach (var v in new[] { 0.05, 0.1, 0.5, 3 }) histogram.Observe(v);
        var writer = new StringWriter();

        histogram.Write(writer, "h", "test");

        Assert.Equal(
            "# HELP h test\n# TYPE h histogram\nh_bucket{le=\"0.1\"} 2\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_sum 3.65\nh_count 4\n",
            writer.ToString());
    }

    [Fact]
    public void RateWindow_AveragesCompleteSeconds()
    {
        var rate = new RateWindow(seconds: 2);
        rate.Add(10, nowSeconds: 100);
        rate.Add(30, nowSeconds: 101);
        rate.Add(99, nowSeconds: 102);                           // the current second is not complete yet

        Assert.Equal(20, rate.PerSecond(nowSeconds: 102));
        Assert.Equal(64.5, rate.PerSecond(nowSeconds: 103));
        Assert.Equal(0, rate.PerSecond(nowSeconds: 110));
    }
}
