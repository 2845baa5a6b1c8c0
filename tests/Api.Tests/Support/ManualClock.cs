namespace ModuleService.Api.Tests.Support;

/// <summary>
/// Wall-clock time that stands still until a test moves it, so time windows do not depend on how fast a test
/// runs. Only <see cref="GetUtcNow"/> is faked: timers stay real, so the app's background services keep ticking.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    long utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref utcTicks, by.Ticks);
}
