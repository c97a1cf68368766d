using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using JasperFx.Events;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>The new sailing, why (a code; OperatorDecision when left out) and, in the staff's own words, an erasable note.</summary>
public record RebookCrossing(Guid? SailingId, RebookingReason? Reason, string? Note);

public record CrossingRebookedResponse(Guid CrossingId, string BookingReference, Guid FromSailingId, Guid ToSailingId, DateTimeOffset DepartureAt, CrossingStatus Status);

public static class Rebooking
{
    /// <summary>
    /// Moves a crossing to another sailing as <see cref="CrossingRules.Rebook"/> decides: its places are released on the
    /// old sailing and reserved on the new one, both streams under their row locks, taken in id order so that two moves
    /// in opposite directions cannot deadlock. Answers the crossing as the move leaves it.
    /// </summary>
    public static async Task<(Crossing? Moved, ProblemDetails? Refused)> MoveAsync(
        IDocumentSession session, IEventStream<Crossing> stream, Guid toSailingId, RebookingReason reason, string by, DateTimeOffset now, CancellationToken ct)
    {
        var crossing = stream.Aggregate!;
        var sailings = new Dictionary<Guid, IEventStream<Sailing>>();
        foreach (var id in new[] { crossing.SailingId, toSailingId }.Distinct().Order())
            sailings[id] = await session.Events.FetchForExclusiveWriting<Sailing>(id, ct);

        if (sailings[toSailingId].Aggregate is not { } to) return (null, Problems.NotFound($"No sailing {toSailingId}."));
        var (move, refused) = CrossingRules.Rebook(crossing, to, reason, now, by);
        if (refused is not null) return (null, refused.ToProblem());
        sailings[crossing.SailingId].AppendOne(move!.Released);
        sailings[toSailingId].AppendOne(move.Reserved);
        stream.AppendOne(move.Rebooked);
        return (await session.AfterAsync(crossing, move.Rebooked, ct), null);
    }
}

public static class RebookCrossingEndpoint
{
    public static ProblemDetails Validate(RebookCrossing command) =>
        command.SailingId is null || command.SailingId == Guid.Empty ? Problems.BadRequest("sailingId", "sailingId (the new sailing) is required.")
        : command.Note is { Length: > CancelCrossingEndpoint.MaxNote } ? Problems.BadRequest("note", $"note is at most {CancelCrossingEndpoint.MaxNote} characters.")
        : WolverineContinue.NoProblems;

    /// <summary>Moves a booked crossing to another sailing between the same ports.</summary>
    [WolverinePost("/api/crossings/{crossingId}/rebook", OperationId = "RebookCrossing")]
    [Authorize(Policy = Policies.Booking)]
    [ProducesResponseType<CrossingRebookedResponse>(200)]
    public static async Task<(IResult, OutgoingMessages)> Post(RebookCrossing command, [CrossingInRoute] IEventStream<Crossing> stream, IDocumentSession session,
        TimeProvider clock, ClaimsPrincipal user, Notices.NoticeOptions notices, CancellationToken ct)
    {
        var crossing = stream.Aggregate!;
        // Its own company's crossing, onto its own company's sailing: checked before anything is written.
        if ((await user.WhyNotOperatorAsync(session, crossing.SailingId, ct) ?? await user.WhyNotOperatorAsync(session, command.SailingId!.Value, ct)) is { } forbidden)
            return (forbidden.ToResult(), []);
        var now = clock.GetUtcNow();
        var (moved, refused) = await Rebooking.MoveAsync(session, stream, command.SailingId!.Value, command.Reason ?? RebookingReason.OperatorDecision, user.StaffId(), now, ct);
        if (refused is not null) return (refused.ToResult(), []);
        await CrossingRemarks.AddAsync(session, crossing.Id, command.Note, user.StaffId(), now, ct);
        // The traveller is told once the move has settled (a second move meanwhile is told as one).
        return (Results.Ok(new CrossingRebookedResponse(moved!.Id, moved.BookingReference, crossing.SailingId, moved.SailingId, moved.DepartureAt, moved.Status)),
            [new Notices.TellTraveller(moved.Id).DelayedFor(notices.Settle)]);
    }
}
