using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>The sailing a crossing is on now, as it stands: times with delays, berth, status.</summary>
public record CurrentSailing(
    Guid SailingId, string Vessel, string Operator, SailingStatus Status, DateTimeOffset ScheduledDepartureAt,
    DateTimeOffset ScheduledArrivalAt, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, bool Delayed, string? Berth, string? Terminal)
{
    public static CurrentSailing Of(Sailing s) => new(s.Id, s.Vessel, s.Operator, s.Status, s.ScheduledDepartureAt, s.ScheduledArrivalAt,
        s.DepartureAt, s.ArrivalAt, s.DepartureAt != s.ScheduledDepartureAt || s.Status == SailingStatus.Delayed, s.Berth, s.Terminal);
}

/// <summary>
/// A crossing as staff see it: its own steps (read-your-write: kept in the same transaction as its
/// events) and the times of its sailing as they now stand, delays included.
/// </summary>
public record CrossingView(
    Guid Id, int Version, string BookingReference, Guid SailingId, string RouteCode, Ports.Direction Direction, string Origin,
    string Destination, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, int Adults, int Children, VehicleKind? Vehicle,
    CrossingStatus Status, DateTimeOffset BookedAt, DateTimeOffset? CheckedInAt, DateTimeOffset? EmbarkedAt, DateTimeOffset? ArrivedAt,
    string? ArrivalLane, DateTimeOffset? ClearedAt, DateTimeOffset? CompletedAt, DateTimeOffset? CancelledAt,
    CancellationReason? CancellationReason, bool LeftWithoutSailing, bool Erased, CurrentSailing Sailing)
{
    public static async Task<CrossingView> ReadAsync(IQuerySession session, Crossing c, CancellationToken ct)
    {
        var s = (await session.LoadAsync<Sailing>(c.SailingId, ct))!;
        return new(c.Id, c.Version, c.BookingReference, c.SailingId, c.RouteCode, c.Direction, c.Origin, c.Destination,
            s.DepartureAt, s.ArrivalAt, c.Adults, c.Children, c.Vehicle, c.Status, c.BookedAt, c.CheckedInAt, c.EmbarkedAt, c.ArrivedAt,
            c.ArrivalLane, c.ClearedAt, c.CompletedAt, c.CancelledAt, c.CancellationReason, c.LeftWithoutSailing, c.Erased, CurrentSailing.Of(s));
    }
}

public static class GetCrossingEndpoint
{
    [WolverineGet("/api/crossings/{crossingId}", OperationId = "GetCrossing")]
    [Authorize(Policy = Policies.Staff)]
    [ProducesResponseType<CrossingView>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Get(Guid crossingId, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Crossing>(crossingId, ct) is { } crossing
            ? Results.Ok(await CrossingView.ReadAsync(session, crossing, ct))
            : Problems.NotFound($"No crossing {crossingId}.").ToResult();

    /// <summary>Find a crossing by its booking reference.</summary>
    [WolverineGet("/api/crossings", OperationId = "FindCrossing")]
    [Authorize(Policy = Policies.Staff)]
    [ProducesResponseType<CrossingView>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Find(string? reference, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.Length > 32)
            return Problems.BadRequest("reference", "reference (a booking reference) is required.").ToResult();
        var normalised = Codes.Normalise(reference);
        var crossing = await session.LoadAsync<Crossing>(Codes.CrossingIdOf(normalised), ct)
                       ?? await session.QueryAsync(new CrossingByReference { Reference = normalised }, ct);
        return crossing is null
            ? Problems.NotFound($"No crossing with booking reference {normalised}.").ToResult()
            : Results.Ok(await CrossingView.ReadAsync(session, crossing, ct));
    }
}
