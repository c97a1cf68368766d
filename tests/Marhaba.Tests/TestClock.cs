namespace Marhaba.Tests;

/// <summary>
/// Business time for the scenarios: set to any instant, forwards or back, as each scenario needs
/// (every test starts from the real now). Timers keep running on the wall clock.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void SetUtcNow(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);
}
