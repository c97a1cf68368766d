using Marhaba.Sailings;
using Marhaba.Ports;
using Marten;

namespace Marhaba.Planning;

/// <summary>What the planners' dashboard shows of one arrival port, all read from projections.</summary>
/// <param name="Changed">The coming sailings to this port that were delayed or cancelled, with how many of their travellers have been told.</param>
public record DashboardView(
    string Port, DateOnly Today, List<DayOutlook> Days, List<DayOutlook> PastWeek, PortHoursOutlook Hours, SeasonLine? Season, DateTimeOffset ReadAt,
    List<Notices.TravellersTold> Changed);

public static class PlanningDashboard
{
    public const int Days = 14, Hours = 48, PastDays = 7;

    public static async Task<DashboardView> ReadAsync(IQuerySession session, string port, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = OutlookReader.LocalToday(port, now);
        // The past week and the coming fortnight in one read of the projections.
        var (all, _) = await OutlookReader.DaysAsync(session, port, today.AddDays(-PastDays), PastDays + Days, now, ct);
        var (past, days) = (all.Take(PastDays).ToList(), all.Skip(PastDays).ToList());
        var hours = await OutlookReader.HoursAsync(session, port, now, Hours, now, ct);
        var season = (await SeasonEndpoint.Get(session, clock, ct)).Ports.FirstOrDefault(p => p.Key == port);
        var changedIds = days.SelectMany(d => d.Sailings).Where(s => s.Status is SailingStatus.Delayed or SailingStatus.Cancelled).Select(s => s.SailingId).ToArray();
        var changed = new List<Notices.TravellersTold>();
        foreach (var sailing in await session.LoadManyAsync<Sailing>(ct, changedIds))
            changed.Add(await Notices.TravellersToldReader.OfAsync(session, sailing, ct));
        return new DashboardView(port, today, days, past, hours, season, now, changed.OrderBy(c => c.DepartureAt).ToList());
    }

    public static IEnumerable<Port> ArrivalPorts => ReferenceData.Ports.Where(p => p.InMorocco);
}
