using ModuleService.Inference.Telemetry;
using ModuleService.Model.Architecture;

namespace ModuleService.Inference.Batching;

/// <summary>
/// Continuous batching for one loaded model. Requests queue here; a dedicated thread (TorchSharp calls block)
/// admits them between decode steps, prefills them, merges them into the running batch and decodes one token
/// per row per step, each row with its own sampling, stop conditions and expert mask.
/// </summary>
public sealed partial class BatchEngine : IAsyncDisposable
{
    private readonly InferenceOptions options;
    private readonly EngineMetrics metrics;
    private readonly ExpertUsage? usage;
    private readonly LinkedList<Request> queue = [];
    private readonly ManualResetEventSlim wake = new(false);
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread thread;
    private readonly object durationGate = new();
    private double meanRequestSeconds = 1;           // moving average, for Retry-After
    private volatile bool accepting = true;
    private volatile bool aborting;
    private int activeRows;

    public BatchEngine(string modelKey, ModuleFormerForCausalLM model, InferenceOptions options,
        EngineMetrics? metrics = null, ExpertUsage? usage = null)
    {
        ModelKey = modelKey;
        Model = model;
        this.options = options;
        this.usage = usage;
        this.metrics = metrics ?? new EngineMetrics(usage);
        thread = new Thread(Run) { IsBackground = true, Name = $"batch-engine {modelKey}" };
        thread.Start();
    }

    public string ModelKey { get; }
    public ModuleFormerForCausalLM Model { get; }
    public int QueueDepth { get { lock (queue) return queue.Count; } }
    public int ActiveRows => Volatile.Read(ref activeRows);
    public bool IsAccepting => accepting;
    /// <summary>Completes when the engine thread has exited (after <see cref="CompleteAdding"/> and draining,
    /// or after <see cref="DisposeAsync"/>).</summary>
    public Task Completion => stopped.Task;

    /// <summary>Validates and queues a job.</summary>
    /// <exception cref="CompletionValidationException">a field is out of range (400).</exception>
    /// <exception cref="QueueFullException">too many requests are waiting (429 + Retry-After).</exception>
    /// <exception cref="InvalidOperationException">the engine no longer accepts work (retired or disposed).</exception>
    public CompletionHandle Submit(CompletionJob job)
    {
        JobValidator.Validate(job, Model.Config, options);
        var request = new Request(job, metrics) { Ended = RecordDuration };
        lock (queue)
        {
            if (!accepting) throw new InvalidOperationException($"the engine for {ModelKey} is shutting down");
            // Free batch rows count as room too: a request that can start at the next step is not "queued".
            int room = options.MaxQueueLength + Math.Max(0, options.MaxBatchSize - ActiveRows);
            if (queue.Count >= room)
            {
                metrics.RequestFinished(RequestOutcome.Rejected);
                throw new QueueFullException(queue.Count, RetryAfter());
            }
            queue.AddLast(request);
            metrics.RequestSubmitted();
            metrics.QueueDepthChanged(+1);
        }
        request.Registration = job.CancellationToken.Register(() => OnCancelled(request));
        wake.Set();
        return request.Handle;
    }

    /// <summary>Stops taking new jobs; queued and running ones finish, then the thread exits.</summary>
    public void CompleteAdding()
    {
        lock (queue) accepting = false;
        wake.Set();
    }

    /// <summary>Stops now: queued and running requests end with an error; waits for the thread.</summary>
    public async ValueTask DisposeAsync()
    {
        aborting = true;
        CompleteAdding();
        // The wake event is not disposed: a late cancellation callback may still Set it.
        await Completion.ConfigureAwait(false);
    }

    private void OnCancelled(Request request)
    {
        bool wasQueued;
        lock (queue)
        {
            wasQueued = queue.Remove(request);
            if (wasQueued) metrics.QueueDepthChanged(-1);
        }
        // A running row is removed by the engine thread before its next step; wake it in case it is idle.
        if (wasQueued) request.Cancel();
        else wake.Set();
    }

    /// <summary>
    /// Takes the next prefill group, FIFO: at most <paramref name="rows"/> requests and, beyond the first, only
    /// while rows × longest prompt stays within MaxPrefillTokens. One group per loop iteration bounds how long
    /// running rows wait for their next token while newcomers prefill.
    /// </summary>
    private List<Request> DequeueGroup(int rows)
    {
        var taken = new List<Request>();
        int longest = 0;
        lock (queue)
            while (taken.Count < rows && queue.First is { } first)
            {
                int width = Math.Max(longest, first.Value.Prompt.Length);
                if (taken.Count > 0 && (taken.Count + 1) * width > options.MaxPrefillTokens) break;
                queue.RemoveFirst();
                taken.Add(first.Value);
                longest = width;
            }
        metrics.QueueDepthChanged(-taken.Count);
        return taken;
    }

    private List<Request> DrainQueue()
    {
        List<Request> all;
        lock (queue)
        {
            all = queue.ToList();
            queue.Clear();
        }
        metrics.QueueDepthChanged(-all.Count);
        return all;
    }

    /// <summary>Expected wait: queued requests ahead, served MaxBatchSize at a time, at the mean request duration.</summary>
    private TimeSpan RetryAfter()
    {
        double mean;
        lock (durationGate) mean = meanRequestSeconds;
        double seconds = Math.Ceiling(mean * (queue.Count + 1) / options.MaxBatchSize);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60));
    }

    private void RecordDuration(Request request)
    {
        lock (durationGate) meanRequestSeconds = 0.9 * meanRequestSeconds + 0.1 * request.Age.TotalSeconds;
    }

    private void SetActiveRows(int count) => metrics.ActiveRowsChanged(count - Interlocked.Exchange(ref activeRows, count));
}
