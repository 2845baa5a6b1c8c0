using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>The engine thread: admit between steps, prefill, merge, decode.</summary>
public sealed partial class BatchEngine
{
    private void Run()
    {
        try
        {
            // inference_mode and dispose scopes are per thread: set here, nothing process-wide.
            using var inference = inference_mode();
            using var batch = new DecodeBatch(Model, ModelKey, usage, metrics);
            try
            {
                Loop(batch);
                batch.FailAll(new OperationCanceledException($"the engine for {ModelKey} stopped"));
            }
            catch (Exception e)
            {
                // A bug in the loop itself: refuse new work and end every request instead of leaving streams open.
                lock (queue) accepting = false;
                batch.FailAll(e);
            }
        }
        finally
        {
            foreach (var r in DrainQueue()) r.Fail(new OperationCanceledException($"the engine for {ModelKey} stopped"));
            SetActiveRows(0);
            stopped.TrySetResult();
        }
    }

    private void Loop(DecodeBatch batch)
    {
        while (!aborting)
        {
            wake.Reset();                    // before looking at the queue, so a Set after the look is not lost
            batch.RemoveWhere(r => r.IsCancelled, r => r.Cancel());
            var admitted = DequeueGroup(options.MaxBatchSize - batch.Count);
            SetActiveRows(batch.Count + admitted.Count);
            Admit(batch, admitted);
            SetActiveRows(batch.Count);
            if (batch.Count == 0)
            {
                if (!accepting && QueueDepth == 0) return;
                if (QueueDepth == 0) wake.Wait();
                continue;
            }
            try { batch.Step(); }
            catch (Exception e) { batch.FailAll(e); }
        }
    }

    /// <summary>Prefills the admitted requests together, samples their first token from the prefill logits
    /// (that is the time to first token) and merges the rows that go on into the running batch.</summary>
    private void Admit(DecodeBatch batch, List<Request> group)
    {
        foreach (var r in group.Where(r => r.IsCancelled)) r.Cancel();
        group.RemoveAll(r => r.IsDone);
        if (group.Count == 0) return;
        foreach (var r in group) r.Start();
        using var scope = NewDisposeScope();
        BatchKvCache? cache = null;
        try
        {
            (cache, var lastLogits) = Prefill.Run(Model, group, ModelKey, usage);        // lastLogits (R, V)
            metrics.ForwardPass();
            foreach (var r in group.Where(r => r.Job.MaxNewTokens == 0)) r.FinishWithoutTokens();
            var live = Enumerable.Range(0, group.Count).Where(i => group[i].Job.MaxNewTokens > 0).ToList();
            var keep = new List<int>();
            if (live.Count > 0)
            {
                var rows = live.Select(i => group[i]).ToList();
                var tokens = TokenPicker.Pick(lastLogits.index_select(0, tensor(live.Select(i => (long)i).ToArray())), rows);
                keep = live.Where((_, j) => !rows[j].Accept(tokens[j])).ToList();
            }
            cache.SelectRows(keep);
            batch.Add(keep.Select(i => group[i]).ToList(), cache);
            cache = null;                                                                // merged: the batch owns it
        }
        catch (Exception e)
        {
            foreach (var r in group.Where(r => !r.IsDone)) r.Fail(e);
        }
        finally { cache?.Dispose(); }
    }
}
