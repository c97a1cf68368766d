using Marhaba.Sailings;
using Marten;

namespace Marhaba.Crossings;

/// <summary>A sailing has left: who is aboard and who is not.</summary>
public record SettleCrossingsAtDeparture(Guid SailingId, int? PersonsOnBoard, DateTimeOffset DepartedAt, string RecordedBy);

public static class SettleCrossingsAtDepartureHandler
{
    /// <summary>
    /// Checked-in crossings are aboard: embarked. Those never checked in are no-shows only when the
    /// count at departure says so, i.e. when the persons counted aboard are exactly those checked in;
    /// otherwise the count cannot tell who is missing and they are left for port staff.
    /// </summary>
    public static async Task Handle(SettleCrossingsAtDeparture message, IDocumentStore store, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var crossings = await query.Query<Crossing>()
            .Where(c => c.SailingId == message.SailingId && (c.Status == CrossingStatus.Booked || c.Status == CrossingStatus.CheckedIn))
            .ToListAsync(ct);
        var checkedIn = crossings.Where(c => c.Status == CrossingStatus.CheckedIn).ToList();
        var aboardAlready = await query.Query<Crossing>()
            .Where(c => c.SailingId == message.SailingId && c.Status == CrossingStatus.Embarked).ToListAsync(ct);
        var expectedAboard = checkedIn.Sum(c => c.Passengers) + aboardAlready.Sum(c => c.Passengers);
        var countSaysNoShow = message.PersonsOnBoard == expectedAboard;

        foreach (var crossing in crossings)
        {
            await using var session = store.LightweightSession();
            var stream = await session.Events.FetchForWriting<Crossing>(crossing.Id, ct);
            var c = stream.Aggregate!;
            if (c.Status == CrossingStatus.CheckedIn)
            {
                stream.AppendOne(new CrossingEmbarked(c.Origin, c.SailingId, message.DepartedAt, message.RecordedBy, c.Passengers, c.Vehicle));
            }
            else if (c.Status == CrossingStatus.Booked && countSaysNoShow)
            {
                // Counted aboard: exactly the checked in, so those never checked in did not travel.
                stream.AppendOne(new CrossingMarkedNoShow(c.Origin, message.DepartedAt, message.RecordedBy, c.SailingId, c.Passengers, c.Vehicle, false));
                await SailingPlaces.ReleaseAsync(session, c, "no-show", ct);
            }
            else continue;
            await session.SaveChangesAsync(ct);
        }
    }
}
