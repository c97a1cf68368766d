using Wolverine;
using Marhaba.Sailings;
using Marten;

namespace Marhaba.Crossings;

/// <summary>Move every crossing still on a cancelled sailing to the next sailing with room.</summary>
public record RebookCrossingsOfCancelledSailing(Guid SailingId);

/// <summary>A crossing whose sailing was cancelled and that no sailing in the next days could take.</summary>
public record CrossingLeftWithoutSailing(Guid CancelledSailingId, DateTimeOffset At);

public static class RebookCrossingsOfCancelledSailingHandler
{
    /// <summary>How far ahead a cancelled sailing's travellers are offered another sailing.</summary>
    public static readonly TimeSpan SearchWindow = TimeSpan.FromDays(7);
    public const string By = "automatic-rebooking";

    /// <summary>
    /// In booking order, each crossing in its own transaction (a crash mid-way leaves the moved ones
    /// moved; the retried message picks up the rest). A repeat of the message finds nothing left to do.
    /// </summary>
    public static async Task<OutgoingMessages> Handle(RebookCrossingsOfCancelledSailing message, IDocumentStore store, TimeProvider clock,
        Notices.NoticeOptions notices, ILogger<RebookCrossingsOfCancelledSailing> logger, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var cancelled = await query.LoadAsync<Sailing>(message.SailingId, ct);
        if (cancelled is null || cancelled.Status != SailingStatus.Cancelled) return [];

        var crossings = await query.Query<Crossing>()
            .Where(c => c.SailingId == message.SailingId && (c.Status == CrossingStatus.Booked || c.Status == CrossingStatus.CheckedIn))
            .OrderBy(c => c.BookedAt).ToListAsync(ct);

        var rebooked = 0;
        foreach (var waiting in crossings)
            if (await MoveOneAsync(store, waiting, cancelled, clock.GetUtcNow(), ct)) rebooked++;
        logger.LogInformation("Sailing {Sailing} cancelled: {Rebooked} crossings rebooked, {Left} without a sailing",
            message.SailingId, rebooked, crossings.Count - rebooked);
        // Told with the cancellation's settling already; told again once every move is made, should the moves outlast it.
        return [new Notices.TellTravellersOfSailing(message.SailingId).DelayedFor(notices.Settle)];
    }

    private static async Task<bool> MoveOneAsync(IDocumentStore store, Crossing waiting, Sailing cancelled, DateTimeOffset now, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var candidates = await query.Query<Sailing>()
            .Where(s => s.Origin == cancelled.Origin && s.Destination == cancelled.Destination && s.Id != cancelled.Id
                        && s.DepartureAt > now && s.DepartureAt < cancelled.ScheduledDepartureAt + SearchWindow
                        && (s.Status == SailingStatus.Scheduled || s.Status == SailingStatus.Delayed || s.Status == SailingStatus.Boarding))
            .OrderBy(s => s.DepartureAt).ToListAsync(ct);

        // The snapshot's free room is a hint; the move re-checks it under the sailing's lock.
        foreach (var candidate in candidates.Where(s => s.WhyItDoesNotFit(waiting.Passengers, waiting.LaneMetres) is null))
        {
            await using var session = store.LightweightSession();
            var stream = await session.Events.FetchForWriting<Crossing>(waiting.Id, ct);
            if (stream.Aggregate is not { } crossing || crossing.SailingId != cancelled.Id || !crossing.HoldsPlaceOnSailing) return true;
            var (_, refused) = await Rebooking.MoveAsync(session, stream, candidate.Id, RebookingReason.SailingCancelled, By, now, ct);
            if (refused is not null) continue;
            await session.SaveChangesAsync(ct);
            return true;
        }

        await using var left = store.LightweightSession();
        var current = await left.Events.FetchForWriting<Crossing>(waiting.Id, ct);
        if (current.Aggregate is { } c && c.SailingId == cancelled.Id && c.HoldsPlaceOnSailing && !c.LeftWithoutSailing)
        {
            current.AppendOne(new CrossingLeftWithoutSailing(cancelled.Id, now));
            await left.SaveChangesAsync(ct);
        }
        return false;
    }
}
