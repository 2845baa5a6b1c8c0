using System.Diagnostics;

namespace ModuleService.Model.Diagnostics;

/// <summary>
/// Wall-clock time of the named parts of a forward pass, for <c>modsvc bench --profile</c>. The model marks its
/// parts with <see cref="Scope"/>; nothing is measured unless a profiler is active on the calling thread, so the
/// product pays one thread-static read per part. CPU TorchSharp ops are synchronous, so wall time around a call is
/// the time of its kernels.
/// </summary>
/// <remarks>
/// Scopes nest: a part inside another gets the path "outer.inner" (the MoE's "router" is "attention.router" or
/// "mlp.router"), and every path is charged its exclusive time, so the recorded times never overlap and sum to at
/// most the wall time of the profiled calls.
/// </remarks>
public sealed class ForwardProfiler
{
    [ThreadStatic] private static ForwardProfiler? active;

    private readonly List<OpenScope> open = [];
    private readonly Dictionary<string, long> exclusiveTicks = [];

    /// <summary>Starts timing a part; dispose the result to stop. A no-op when no profiler is active.</summary>
    public static ProfileScope Scope(string name)
    {
        var profiler = active;
        if (profiler is null) return default;
        profiler.Begin(name);
        return new ProfileScope(profiler);
    }

    /// <summary>Makes this profiler receive the scopes of forwards run on this thread until the result is disposed.</summary>
    public IDisposable Activate()
    {
        var previous = active;
        active = this;
        return new Deactivation(() => active = previous);
    }

    /// <summary>Begin/End pairs for callers that cannot use a scope (module hooks).</summary>
    public void Begin(string name)
    {
        string path = open.Count == 0 ? name : open[^1].Path + "." + name;
        open.Add(new OpenScope(path, Stopwatch.GetTimestamp(), 0));
    }

    public void End()
    {
        var scope = open[^1];
        open.RemoveAt(open.Count - 1);
        long elapsed = Stopwatch.GetTimestamp() - scope.Start;
        exclusiveTicks[scope.Path] = exclusiveTicks.GetValueOrDefault(scope.Path) + elapsed - scope.ChildTicks;
        if (open.Count > 0) open[^1] = open[^1] with { ChildTicks = open[^1].ChildTicks + elapsed };
    }

    /// <summary>Milliseconds per path since the last <see cref="Clear"/>, excluding time spent in nested scopes.</summary>
    public IReadOnlyDictionary<string, double> ExclusiveMilliseconds() =>
        exclusiveTicks.ToDictionary(kv => kv.Key, kv => kv.Value * 1000.0 / Stopwatch.Frequency);

    public void Clear()
    {
        if (open.Count > 0) throw new InvalidOperationException($"scope \"{open[^1].Path}\" is still open");
        exclusiveTicks.Clear();
    }

    private readonly record struct OpenScope(string Path, long Start, long ChildTicks);

    private sealed class Deactivation(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}

/// <summary>One timed part of a forward; a struct so that an inactive profiler allocates nothing.</summary>
public readonly struct ProfileScope(ForwardProfiler? profiler) : IDisposable
{
    public void Dispose() => profiler?.End();
}
