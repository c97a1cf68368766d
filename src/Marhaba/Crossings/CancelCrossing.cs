using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Marten;

namespace Marhaba.Crossings;

/// <summary>Why, as a code; in the staff's own words in <c>note</c> (kept apart from the events, erasable).</summary>
public record CancelCrossing(CancellationReason? Reason, string? Note);

public static class CancelCrossingEndpoint
{
    public const int MaxNote = 500;

    public static ProblemDetails Validate(CancelCrossing command) =>
        command.Reason is null ? Problems.BadRequest("reason", $"reason is required: one of {string.Join(", ", Enum.GetNames<CancellationReason>())}.")
        : command.Note is { Length: > MaxNote } ? Problems.BadRequest("note", $"note is at most {MaxNote} characters.")
        : WolverineContinue.NoProblems;

    [WolverinePost("/api/crossings/{crossingId}/cancel", OperationId = "CancelCrossing")]
    [Authorize(Policy = Policies.Booking)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static async Task<(IResult, Events)> Post(
        CancelCrossing command, [CrossingInRoute] Crossing crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        if ((await user.WhyNotOperatorAsync(session, crossing.SailingId, ct) ?? CrossingRules.CanCancel(crossing)?.ToProblem()) is { } refused) return (refused.ToResult(), []);

        var now = clock.GetUtcNow();
        var cancelled = new CrossingCancelled(command.Reason!.Value, now, user.StaffId(), crossing.SailingId, crossing.Passengers, crossing.Vehicle,
            crossing.Status == CrossingStatus.CheckedIn);
        await CrossingRemarks.AddAsync(session, crossing.Id, command.Note, user.StaffId(), now, ct);
        await SailingPlaces.ReleaseAsync(session, crossing, "cancelled", ct);
        var after = await session.AfterAsync(crossing, cancelled, ct);
        return (Results.Ok(new CrossingAtPortResult(after.Id, after.BookingReference, after.Status)), [cancelled]);
    }
}

/// <summary>At the departure port, after the sailing left: the party never came.</summary>
public static class MarkNoShowEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Task<CrossingAtDesk> LoadAsync(string port, CrossingAtPort request, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        PortDesk.LoadAsync(session, port, request, clock.GetUtcNow(), ct);

    [WolverinePost("/api/ports/{port}/no-shows", OperationId = "MarkNoShow")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static async Task<IResult> Post(
        string port, CrossingAtPort request, CrossingAtDesk crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        Crossing? marked = null;
        var (done, refused) = await PortDesk.DecideAndAppendAsync(session, crossing, PortDesk.Normalised(port), request, now, (c, sailing, at) =>
        {
            if (CrossingRules.CanMarkNoShow(c, sailing!, PortDesk.Normalised(port), now) is { } no) return no;
            marked = c;
            return Decision.Append(new CrossingMarkedNoShow(c.Origin, at, user.StaffId(), c.SailingId, c.Passengers, c.Vehicle, c.Status == CrossingStatus.CheckedIn));
        }, ct);
        if (refused is not null) return refused.ToResult();
        await SailingPlaces.ReleaseAsync(session, marked!, "no-show", ct);
        return Results.Ok(done);
    }
}

public sealed class CrossingInRouteAttribute() : StreamInRouteAttribute("crossingId", "No crossing {0}.");

public static class SailingPlaces
{
    /// <summary>Gives a crossing's places back to its sailing, under the sailing's row lock like every sailing write.</summary>
    public static async Task ReleaseAsync(IDocumentSession session, Crossing crossing, string reason, CancellationToken ct)
    {
        var sailing = await session.Events.FetchForExclusiveWriting<Sailing>(crossing.SailingId, ct);
        if (sailing.Aggregate is not null)
            sailing.AppendOne(new PlacesReleased(crossing.Id, crossing.Passengers, crossing.LaneMetres, reason));
    }
}
