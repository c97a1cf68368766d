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

        // A few hundred crossings a transaction: the sailing's row lock once, the crossings fetched in one round trip.
        foreach (var chunk in crossings.Chunk(200))
        {
            await using var session = store.LightweightSession();
            var sailing = await session.Events.FetchForExclusiveWriting<Sailing>(message.SailingId, ct);
            var batch = session.CreateBatchQuery();
            var streams = chunk.Select(c => batch.Events.FetchForWriting<Crossing>(c.Id)).ToList();
            await batch.Execute(ct);
            foreach (var fetched in streams)
            {
                var stream = await fetched;
                var c = stream.Aggregate!;
                var next = c.NextStepAt(c.Origin);
                if (next == DeskStep.Boarding)
                {
                    stream.AppendOne(new CrossingEmbarked(c.Origin, c.SailingId, message.DepartedAt, message.RecordedBy, c.Passengers, c.Vehicle));
                }
                else if (next == DeskStep.CheckIn && countSaysNoShow)
                {
                    // Counted aboard: exactly the checked in, so those never checked in did not travel.
                    stream.AppendOne(new CrossingMarkedNoShow(c.Origin, message.DepartedAt, message.RecordedBy, c.SailingId, c.Passengers, c.Vehicle, false));
                    if (c.SailingId == message.SailingId && sailing.Aggregate is not null)
                        sailing.AppendOne(new PlacesReleased(c.Id, c.Passengers, c.LaneMetres, "no-show"));
                }
            }
            await session.SaveChangesAsync(ct);
        }
    }
}
