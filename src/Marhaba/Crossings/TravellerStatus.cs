using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>Sent in the body, so the code never shows in URLs or access logs.</summary>
public record TravellerStatusRequest(string? BookingReference, string? AccessCode);

public record HistoryLine(DateTimeOffset At, string What, string? Port, string? Detail = null);

public record TravellerStatusResponse(
    string BookingReference, CrossingStatus Status, Direction Direction, string RouteCode, string Origin, string OriginName,
    string Destination, string DestinationName, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, int Adults, int Children,
    VehicleKind? Vehicle, List<HistoryLine> History);

public static class TravellerStatusEndpoint
{
    public static ProblemDetails Validate(TravellerStatusRequest request) =>
        string.IsNullOrWhiteSpace(request.BookingReference) || request.BookingReference.Length > 32
            ? Problems.BadRequest("bookingReference", "bookingReference is required.")
            : string.IsNullOrWhiteSpace(request.AccessCode) || request.AccessCode.Length > 32
                ? Problems.BadRequest("accessCode", "accessCode is required.")
                : WolverineContinue.NoProblems;

    /// <summary>A traveller's view of their crossing, with booking reference and access code, no account.</summary>
    [WolverinePost("/api/traveller/status", OperationId = "TravellerStatus")]
    [AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(TravellerLimits.Policy)]
    [ProducesResponseType<TravellerStatusResponse>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Post(TravellerStatusRequest request, HttpContext context, IQuerySession session, TravellerAccess access, TimeProvider clock, CancellationToken ct)
    {
        var (crossing, refused) = await access.OpenCrossingAsync(session, request.BookingReference, request.AccessCode, context, clock.GetUtcNow(), ct);
        if (crossing is null) return (refused ?? TravellerAccess.NoMatch).ToResult();

        var events = await session.Events.FetchStreamAsync(crossing.Id, token: ct);
        return Results.Ok(new TravellerStatusResponse(
            crossing.BookingReference, crossing.Status, crossing.Direction, crossing.RouteCode,
            crossing.Origin, ReferenceData.Port(crossing.Origin).Name, crossing.Destination, ReferenceData.Port(crossing.Destination).Name,
            crossing.DepartureAt, crossing.ArrivalAt, crossing.Adults, crossing.Children, crossing.Vehicle,
            events.Select(e => History(e.Data)).OfType<HistoryLine>().ToList()));
    }

    public static HistoryLine? History(object e) => e switch
    {
        CrossingBooked b => new(b.BookedAt, "booked", b.Origin),
        CrossingCheckedIn c => new(c.CheckedInAt, "checked-in", c.Port),
        CrossingEmbarked m => new(m.EmbarkedAt, "embarked", m.Port),
        CrossingArrived a => new(a.ArrivedAt, "arrived", a.Port),
        CrossingCleared c => new(c.ClearedAt, "cleared", c.Port),
        CrossingCompleted c => new(c.CompletedAt, "completed", null),
        CrossingCancelled c => new(c.CancelledAt, "cancelled", null),
        CrossingMarkedNoShow n => new(n.MarkedAt, "no-show", n.Port),
        CrossingRebooked r => new(r.RebookedAt, "rebooked", null, $"New sailing departs {r.DepartureAt:yyyy-MM-dd HH:mm}Z. {r.Reason}"),
        CrossingLeftWithoutSailing l => new(l.At, "awaiting-new-sailing", null, l.Reason),
        Privacy.TravellerDataErased erased => new(erased.At, "traveller-data-erased", null),
        _ => null
    };
}
