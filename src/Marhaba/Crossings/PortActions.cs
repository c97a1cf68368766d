using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using JasperFx.Events;

namespace Marhaba.Crossings;

/// <summary>Check-in at the departure port (GNV: from four hours before a non-Schengen sailing).</summary>
public static class CheckInEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Guid CrossingId(CrossingAtPort request) => PortDesk.StreamOf(request);

    [WolverinePost("/api/ports/{port}/check-ins", OperationId = "CheckIn")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, [CrossingAtDesk] IEventStream<Crossing> crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, clock, (c, _, at) =>
            CrossingRules.CanCheckIn(c, PortDesk.Normalised(port)) is { } no ? no
                : Decision.Append(new CrossingCheckedIn(c.Origin, request.Lane, at, user.StaffId(), c.SailingId, c.Passengers, c.Vehicle)), ct);
}

public static class EmbarkEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Guid CrossingId(CrossingAtPort request) => PortDesk.StreamOf(request);

    [WolverinePost("/api/ports/{port}/boardings", OperationId = "Embark")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, [CrossingAtDesk] IEventStream<Crossing> crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, clock, (c, _, at) =>
            CrossingRules.CanEmbark(c, PortDesk.Normalised(port)) is { } no ? no
                : Decision.Append(new CrossingEmbarked(c.Origin, c.SailingId, at, user.StaffId(), c.Passengers, c.Vehicle)), ct);
}

/// <summary>Port staff record a crossing arriving at its Moroccan (or return) port.</summary>
public static class RecordArrivalEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Guid CrossingId(CrossingAtPort request) => PortDesk.StreamOf(request);

    [WolverinePost("/api/ports/{port}/arrivals", OperationId = "RecordArrival")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, [CrossingAtDesk] IEventStream<Crossing> crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, clock, (c, sailing, at) => Arrive(c, sailing!, PortDesk.Normalised(port), request.Lane, at, user.StaffId()), ct, needsSailing: true);

    public static Decision Arrive(Crossing c, Sailing sailing, string port, string? lane, DateTimeOffset at, string staff) =>
        CrossingRules.CanArrive(c, sailing, port, at) is { } no ? no
            : Decision.Append(new CrossingArrived(c.Destination, lane, at, staff, c.Passengers, c.Vehicle, c.Direction, c.RouteCode, c.SailingId));
}

/// <summary>Border police and customs have cleared the crossing.</summary>
public static class ClearEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Guid CrossingId(CrossingAtPort request) => PortDesk.StreamOf(request);

    [WolverinePost("/api/ports/{port}/clearances", OperationId = "Clear")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, [CrossingAtDesk] IEventStream<Crossing> crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, clock, (c, _, at) =>
            CrossingRules.CanClear(c, PortDesk.Normalised(port)) is { } no ? no
                : Decision.Append(new CrossingCleared(c.Destination, at, user.StaffId(), c.Passengers, c.Vehicle)), ct);
}

/// <summary>The party has left the port: the crossing is complete.</summary>
public static class CompleteEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Guid CrossingId(CrossingAtPort request) => PortDesk.StreamOf(request);

    [WolverinePost("/api/ports/{port}/exits", OperationId = "Complete")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, [CrossingAtDesk] IEventStream<Crossing> crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, clock, (c, _, at) =>
            CrossingRules.CanComplete(c, PortDesk.Normalised(port)) is { } no ? no
                : Decision.Append(new CrossingCompleted(at, user.StaffId())), ct);
}
