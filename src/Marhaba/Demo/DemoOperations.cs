using Marhaba.Crossings;
using Marhaba.Sailings;
using Marten;
using Wolverine;

namespace Marhaba.Demo;

/// <summary>Records, on one demo sailing, the steps at the ports whose time has come.</summary>
public record RollDemoSailing(Guid SailingId);

/// <summary>A planner's disruption of the demo's day: a sailing delayed, or cancelled and its travellers moved.</summary>
public record DisruptDemoSailing(Guid SailingId, bool Cancel);

/// <summary>
/// The demo's port days kept in step with the clock, as the ports would live them: travellers check in from four hours
/// before departure (one in twenty-five never comes), boarding opens two hours before, the ship leaves and berths on
/// time unless delayed, its crossings arrive at the quay within ninety minutes and clear customs within two and a half
/// hours. Each crossing's moments come from its own id, so a step falls at the same time however often the demo is
/// rolled, and a demo started after days away catches up every step it missed. Around Tanger Med one sailing is always
/// delayed and one cancelled, so that the desk, the board and the dashboard show what a disruption looks like.
/// </summary>
public static class DemoOperations
{
    public const string Planner = "demo-planner";
    public const string Staff = "demo-staff";
    public const string Port = "MAPTM";
    public static readonly TimeSpan CheckInOpens = TimeSpan.FromHours(4);
    public static readonly TimeSpan BoardingOpens = TimeSpan.FromHours(2);

    public sealed record Steps(List<object> Sailing, List<(Crossing Crossing, object[] Events)> Crossings)
    {
        public bool Any => Sailing.Count > 0 || Crossings.Count > 0;
    }

    /// <summary>What has happened by <paramref name="now"/> on this sailing and to its crossings, and is not yet recorded.</summary>
    public static Steps Due(Sailing s, IReadOnlyList<Crossing> crossings, DateTimeOffset now)
    {
        var steps = new Steps([], []);
        if (s.Status == SailingStatus.Cancelled) return steps;
        var departed = s.Status is SailingStatus.Departed or SailingStatus.Arrived;
        var departs = !departed && s.DepartureAt <= now;
        var arrives = (departed || departs) && s.Status != SailingStatus.Arrived && s.ArrivalAt <= now;
        var berthed = arrives || s.Status == SailingStatus.Arrived;
        var boardingFrom = s.DepartureAt - BoardingOpens;
        if (s.Status is SailingStatus.Scheduled or SailingStatus.Delayed && !departs && boardingFrom <= now)
            steps.Sailing.Add(new SailingBoardingStarted(Latest(boardingFrom, s.Notices.LastOrDefault()?.At), Staff));

        var aboard = new List<Crossing>();
        foreach (var c in crossings)
        {
            var events = new List<object>();
            var status = c.Status;
            var checkInAt = s.DepartureAt - CheckInOpens + After(c.Id, 0, 0, 150);
            if (status == CrossingStatus.Booked && Draw(c.Id, 1, 0, 100) >= 4 && checkInAt <= now && checkInAt < s.DepartureAt)
            {
                events.Add(new CrossingCheckedIn(c.Origin, $"Booth {1 + Draw(c.Id, 2, 0, 8)}", checkInAt, Staff, s.Id, c.Passengers, c.Vehicle));
                status = CrossingStatus.CheckedIn;
            }
            if (departs && status == CrossingStatus.CheckedIn)
            {
                events.Add(new CrossingEmbarked(c.Origin, s.Id, Latest(s.DepartureAt.AddMinutes(-20), c.CheckedInAt ?? checkInAt), Staff, c.Passengers, c.Vehicle));
                status = CrossingStatus.Embarked;
            }
            else if (departs && status == CrossingStatus.Booked)
            {
                events.Add(new CrossingMarkedNoShow(c.Origin, s.DepartureAt, Staff, s.Id, c.Passengers, c.Vehicle, false));
                steps.Sailing.Add(new PlacesReleased(c.Id, c.Passengers, c.LaneMetres, "no-show"));
                status = CrossingStatus.NoShow;
            }
            if (status == CrossingStatus.Embarked) aboard.Add(c);

            var arrivedAt = c.ArrivedAt ?? s.ArrivalAt + After(c.Id, 3, 10, 90);
            if (berthed && status == CrossingStatus.Embarked && arrivedAt <= now)
            {
                events.Add(new CrossingArrived(c.Destination, $"Lane {1 + Draw(c.Id, 2, 0, 12)}", arrivedAt, Staff, c.Passengers, c.Vehicle, c.Direction, c.RouteCode, s.Id));
                status = CrossingStatus.Arrived;
            }
            if (status == CrossingStatus.Arrived && arrivedAt + After(c.Id, 4, 20, 150) is var clearedAt && clearedAt <= now)
                events.Add(new CrossingCleared(c.Destination, clearedAt, Staff, c.Passengers, c.Vehicle));
            if (events.Count > 0) steps.Crossings.Add((c, events.ToArray()));
        }

        if (departs)
            steps.Sailing.Add(new SailingDeparted(s.DepartureAt, aboard.Sum(c => c.Passengers), aboard.Count(c => c.Vehicle is not null), Staff));
        if (arrives) steps.Sailing.Add(new SailingArrived(s.ArrivalAt, Staff));
        return steps;
    }

    /// <summary>
    /// The disruptions the demo's day lacks around Tanger Med: a homeward sailing delayed by 2 h 10 when none shows as
    /// delayed, far enough ahead to stay so for hours; one cancelled, its travellers moved to the next ships, when
    /// none was in the last 12 hours or the next 24.
    /// </summary>
    public static IEnumerable<DisruptDemoSailing> DisruptionsDue(IReadOnlyList<Sailing> aroundPort, DateTimeOffset now)
    {
        bool Homeward(Sailing s, double fromHours, double toHours) =>
            s.Status == SailingStatus.Scheduled && s.Destination == Port && s.DepartureAt >= now.AddHours(fromHours) && s.DepartureAt < now.AddHours(toHours);
        if (!aroundPort.Any(s => s.Status == SailingStatus.Delayed) &&
            aroundPort.Where(s => Homeward(s, 2.5, 8)).MinBy(s => s.DepartureAt) is { } late)
            yield return new DisruptDemoSailing(late.Id, Cancel: false);
        if (!aroundPort.Any(s => s.Status == SailingStatus.Cancelled && s.ScheduledDepartureAt > now.AddHours(-12)) &&
            aroundPort.Where(s => Homeward(s, 6, 20)).MinBy(s => s.DepartureAt) is { } cancelled)
            yield return new DisruptDemoSailing(cancelled.Id, Cancel: true);
    }

    /// <summary>A draw (0 to 4) from a crossing's id, a name-based hash: <paramref name="min"/> to <paramref name="max"/>, the same each time.</summary>
    private static TimeSpan After(Guid id, int draw, int minMinutes, int maxMinutes) => TimeSpan.FromMinutes(Draw(id, draw, minMinutes, maxMinutes));

    private static int Draw(Guid id, int draw, int min, int max)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes);
        return min + (int)(BitConverter.ToUInt32(bytes[(draw * 3)..]) % (uint)(max - min));
    }

    private static DateTimeOffset Latest(DateTimeOffset a, DateTimeOffset? b) => b is { } other && other > a ? other : a;
}

public static class RollDemoSailingHandler
{
    public static async Task<OutgoingMessages> Handle(RollDemoSailing message, IDocumentSession session, TimeProvider clock, SailingConsequences consequences, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Sailing>(message.SailingId, ct);
        if (stream.Aggregate is not { } sailing) return [];
        var crossings = await session.Query<Crossing>()
            .Where(c => c.SailingId == sailing.Id && (c.Status == CrossingStatus.Booked || c.Status == CrossingStatus.CheckedIn
                                                      || c.Status == CrossingStatus.Embarked || c.Status == CrossingStatus.Arrived))
            .ToListAsync(ct);
        var due = DemoOperations.Due(sailing, crossings, clock.GetUtcNow());
        var messages = new OutgoingMessages();
        foreach (var e in due.Sailing)
        {
            stream.AppendOne(e);
            messages.AddRange(consequences.Of(sailing, e));
        }
        // Under each crossing's version: a step port staff record meanwhile wins, and the demo tries again on its next round.
        foreach (var (crossing, events) in due.Crossings) session.Events.Append(crossing.Id, crossing.Version + events.Length, events);
        return messages;
    }
}

public static class DisruptDemoSailingHandler
{
    public static async Task<OutgoingMessages> Handle(DisruptDemoSailing message, IDocumentSession session, TimeProvider clock, SailingConsequences consequences, CancellationToken ct)
    {
        // Under the sailing's row lock, as a planner's change.
        var stream = await session.Events.FetchForExclusiveWriting<Sailing>(message.SailingId, ct);
        if (stream.Aggregate is not { } sailing) return [];
        var now = clock.GetUtcNow();
        var decision = message.Cancel
            ? SailingRules.Cancel(sailing, new CancelSailing("Technical fault on the vessel"), now, DemoOperations.Planner)
            : SailingRules.Delay(sailing, new DelaySailing(sailing.DepartureAt.AddMinutes(130), null, "Late arrival of the ship from its previous rotation"), now, DemoOperations.Planner);
        if (decision.Event is not { } e) return [];
        stream.AppendOne(e);
        return [.. consequences.Of(sailing, e)];
    }
}
