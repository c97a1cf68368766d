namespace Marhaba.Hosting;

/// <summary>
/// Business time shifted from the wall clock by a fixed offset (<c>Clock:OffsetSeconds</c>), for
/// rehearsals of another day of the season and for fault drills. Timers still run on the wall clock.
/// </summary>
public sealed class OffsetClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;

    public static TimeProvider From(IConfiguration configuration) =>
        configuration.GetValue<double?>("Clock:OffsetSeconds") is { } seconds and not 0
            ? new OffsetClock(TimeSpan.FromSeconds(seconds))
            : System;
}
