namespace ModuleService.Inference.Telemetry;

public enum RequestOutcome { Completed, Cancelled, Failed, Rejected }

/// <summary>
/// In-memory serving metrics shared by all engines of a process, rendered for /metrics by
/// <see cref="WritePrometheus"/> together with the per-expert counters of <see cref="ExpertUsage"/>. Thread-safe.
/// </summary>
public sealed class EngineMetrics(ExpertUsage? usage = null)
{
    private readonly long[] outcomes = new long[Enum.GetValues<RequestOutcome>().Length];
    private readonly RateWindow tokenRate = new();
    private long submitted, promptTokens, completionTokens, forwardPasses;
    private int queueDepth, activeRows;

    public ExpertUsage? Usage { get; } = usage;
    public Histogram TimeToFirstTokenSeconds { get; } = new(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    public Histogram InterTokenLatencySeconds { get; } = new(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1);

    public long Submitted => Interlocked.Read(ref submitted);
    public long PromptTokensTotal => Interlocked.Read(ref promptTokens);
    public long CompletionTokensTotal => Interlocked.Read(ref completionTokens);
    public long ForwardPasses => Interlocked.Read(ref forwardPasses);
    public int QueueDepth => Volatile.Read(ref queueDepth);
    public int ActiveRows => Volatile.Read(ref activeRows);
    public long Requests(RequestOutcome outcome) => Interlocked.Read(ref outcomes[(int)outcome]);
    /// <summary>Completion tokens per second over the last 10 whole seconds.</summary>
    public double TokensPerSecond => tokenRate.PerSecond();

    internal void RequestSubmitted() => Interlocked.Increment(ref submitted);
    internal void RequestFinished(RequestOutcome outcome) => Interlocked.Increment(ref outcomes[(int)outcome]);
    internal void PromptTokens(int n) => Interlocked.Add(ref promptTokens, n);
    internal void CompletionTokens(int n)
    {
        Interlocked.Add(ref completionTokens, n);
        tokenRate.Add(n);
    }
    internal void ForwardPass() => Interlocked.Increment(ref forwardPasses);
    internal void QueueDepthChanged(int delta) => Interlocked.Add(ref queueDepth, delta);
    internal void ActiveRowsChanged(int delta) => Interlocked.Add(ref activeRows, delta);
    internal void TimeToFirstToken(TimeSpan t) => TimeToFirstTokenSeconds.Observe(t.TotalSeconds);
    internal void InterTokenLatency(TimeSpan t) => InterTokenLatencySeconds.Observe(t.TotalSeconds);

    /// <summary>Prometheus text exposition format (version 0.0.4).</summary>
    public void WritePrometheus(TextWriter writer)
    {
        writer.Write("# HELP modsvc_inference_requests_total Completion requests by outcome.\n# TYPE modsvc_inference_requests_total counter\n");
        foreach (var outcome in Enum.GetValues<RequestOutcome>())
            writer.Write($"modsvc_inference_requests_total{{outcome=\"{outcome.ToString().ToLowerInvariant()}\"}} {Requests(outcome)}\n");
        Scalar(writer, "modsvc_inference_prompt_tokens_total", "counter", "Prompt tokens of admitted requests.", PromptTokensTotal);
        Scalar(writer, "modsvc_inference_completion_tokens_total", "counter", "Tokens sampled by the engines.", CompletionTokensTotal);
        Scalar(writer, "modsvc_inference_forward_passes_total", "counter", "Model forward passes (prefill and decode).", ForwardPasses);
        Scalar(writer, "modsvc_inference_tokens_per_second", "gauge", "Completion tokens per second over the last 10 s.", TokensPerSecond);
        Scalar(writer, "modsvc_inference_queue_depth", "gauge", "Requests waiting for a batch row.", QueueDepth);
        Scalar(writer, "modsvc_inference_active_rows", "gauge", "Requests being decoded.", ActiveRows);
        TimeToFirstTokenSeconds.Write(writer, "modsvc_inference_time_to_first_token_seconds", "Submit to first sampled token.");
        InterTokenLatencySeconds.Write(writer, "modsvc_inference_inter_token_latency_seconds", "Time between consecutive tokens of a request.");
        if (Usage is not null) WriteExperts(writer, Usage.Snapshot());
    }

    private static void WriteExperts(TextWriter writer, IReadOnlyList<ExpertUsageEntry> entries)
    {
        writer.Write("# HELP modsvc_expert_selections_total Token slots routed to each expert by served traffic.\n# TYPE modsvc_expert_selections_total counter\n");
        foreach (var e in entries) writer.Write($"modsvc_expert_selections_total{Labels(e)} {e.Selections}\n");
        // Gate mass as a counter: mean gate over any window = rate(gate_sum) / rate(selections).
        writer.Write("# HELP modsvc_expert_gate_sum_total Sum of the router gates of those selections.\n# TYPE modsvc_expert_gate_sum_total counter\n");
        foreach (var e in entries) writer.Write($"modsvc_expert_gate_sum_total{Labels(e)} {Histogram.Format(e.GateSum)}\n");
    }

    private static string Labels(ExpertUsageEntry e) =>
        $"{{model=\"{Escape(e.ModelKey)}\",layer=\"{e.Layer}\",kind=\"{e.Kind.ToString().ToLowerInvariant()}\",expert=\"{e.Expert}\"}}";

    private static string Escape(string value) => value.Replace("\\", @"\\").Replace("\"", "\\\"").Replace("\n", @"\n");

    private static void Scalar(TextWriter writer, string name, string type, string help, double value) =>
        writer.Write($"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {Histogram.Format(value)}\n");
}
