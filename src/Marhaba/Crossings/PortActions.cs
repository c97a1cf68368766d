using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>Check-in at the departure port (GNV: from four hours before a non-Schengen sailing).</summary>
public static class CheckInEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Task<CrossingAtDesk> LoadAsync(string port, CrossingAtPort request, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        PortDesk.LoadAsync(session, port, request, clock.GetUtcNow(), ct);

    [WolverinePost("/api/ports/{port}/check-ins", OperationId = "CheckIn")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, CrossingAtDesk crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, DeskStep.CheckIn, user, clock, ct);
}

public static class EmbarkEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Task<CrossingAtDesk> LoadAsync(string port, CrossingAtPort request, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        PortDesk.LoadAsync(session, port, request, clock.GetUtcNow(), ct);

    [WolverinePost("/api/ports/{port}/boardings", OperationId = "Embark")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, CrossingAtDesk crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, DeskStep.Boarding, user, clock, ct);
}

/// <summary>Port staff record a crossing arriving at its Moroccan (or return) port.</summary>
public static class RecordArrivalEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Task<CrossingAtDesk> LoadAsync(string port, CrossingAtPort request, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        PortDesk.LoadAsync(session, port, request, clock.GetUtcNow(), ct);

    [WolverinePost("/api/ports/{port}/arrivals", OperationId = "RecordArrival")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, CrossingAtDesk crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, DeskStep.Arrival, user, clock, ct);
}

/// <summary>Border police and customs have cleared the crossing.</summary>
public static class ClearEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Task<CrossingAtDesk> LoadAsync(string port, CrossingAtPort request, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        PortDesk.LoadAsync(session, port, request, clock.GetUtcNow(), ct);

    [WolverinePost("/api/ports/{port}/clearances", OperationId = "Clear")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, CrossingAtDesk crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, DeskStep.Clearance, user, clock, ct);
}

/// <summary>The party has left the port: the crossing is complete.</summary>
public static class CompleteEndpoint
{
    public static ProblemDetails Validate(string port, CrossingAtPort request, ClaimsPrincipal user, TimeProvider clock) =>
        PortDesk.Validate(port, request, user, clock.GetUtcNow());

    public static Task<CrossingAtDesk> LoadAsync(string port, CrossingAtPort request, IDocumentSession session, TimeProvider clock, CancellationToken ct) =>
        PortDesk.LoadAsync(session, port, request, clock.GetUtcNow(), ct);

    [WolverinePost("/api/ports/{port}/exits", OperationId = "Complete")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<CrossingAtPortResult>(200)]
    public static Task<IResult> Post(string port, CrossingAtPort request, CrossingAtDesk crossing, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        PortDesk.RecordAsync(session, crossing, port, request, DeskStep.Exit, user, clock, ct);
}
