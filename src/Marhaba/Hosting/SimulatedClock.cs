using Microsoft.AspNetCore.Mvc;

namespace Marhaba.Hosting;

/// <summary>
/// Business time for a simulation or training environment (<c>Clock:SimulationStart</c>): it stands
/// still until the simulator moves it forward, so a whole season can run in minutes. Never set in
/// production; without the setting the endpoint that moves it does not exist.
/// </summary>
public sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    /// <summary>How long a check due later in business time waits in real time before looking again.</summary>
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(1);

    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    /// <summary>Moves business time to <paramref name="now"/>; it never goes back.</summary>
    public bool TryMoveTo(DateTimeOffset now)
    {
        var current = Interlocked.Read(ref _ticks);
        if (now.UtcTicks < current) return false;
        return Interlocked.CompareExchange(ref _ticks, now.UtcTicks, current) == current || TryMoveTo(now);
    }

    /// <summary>The real wait before a check due in <paramref name="businessDelay"/>: under simulation business time runs faster.</summary>
    public static TimeSpan RealDelay(TimeProvider clock, TimeSpan businessDelay) =>
        clock is SimulatedClock && businessDelay > RecheckAfter ? RecheckAfter : businessDelay;

    public static TimeProvider? From(IConfiguration configuration) =>
        configuration.GetValue<DateTimeOffset?>("Clock:SimulationStart") is { } start ? new SimulatedClock(start) : null;
}

public record MoveClock(DateTimeOffset? Now);

public static class SimulatedClockEndpoint
{
    /// <summary>Only under a simulated clock: <c>PUT /api/simulation/clock</c>, for administrators (the simulator).</summary>
    public static void MapSimulatedClock(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TimeProvider>() is not SimulatedClock clock) return;
        app.MapPut("/api/simulation/clock", (MoveClock? body) =>
        {
            if (body?.Now is not { } now) return Results.Problem(Problems.BadRequest("now", "now is required: the business time to move to."));
            return clock.TryMoveTo(now)
                ? Results.Ok(new { now = clock.GetUtcNow() })
                : Results.Problem(Problems.Conflict($"Business time is {clock.GetUtcNow():O} and does not go back."));
        }).RequireAuthorization(Policies.Admin).WithName("MoveSimulatedClock");
        app.MapGet("/api/simulation/clock", () => Results.Ok(new { now = clock.GetUtcNow() })).RequireAuthorization(Policies.Staff);
    }
}
