using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Ports;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Marten;

namespace Marhaba.Sailings;

/// <summary>A planner puts a ferry departure on the timetable.</summary>
public record ScheduleSailing(
    string? RouteCode, Direction? Direction, string? Operator, string? Vessel, DateTimeOffset? DepartureAt,
    DateTimeOffset? ArrivalAt, int? PassengerCapacity, int? VehicleLaneMetres);

public static class ScheduleSailingEndpoint
{
    public const int MaxPassengers = 5000, MaxLaneMetres = 6000;

    public static ProblemDetails Validate(ScheduleSailing c, TimeProvider clock)
    {
        if (!ReferenceData.TryGetRoute(c.RouteCode, out var route))
            return Problems.BadRequest("routeCode", $"Unknown route '{c.RouteCode}': use one of {ReferenceData.KnownRouteCodes}.");
        if (c.Direction is null) return Problems.BadRequest("direction", "direction is required: Inbound (to Morocco) or Outbound.");
        if (string.IsNullOrWhiteSpace(c.Vessel) || c.Vessel.Length > 80) return Problems.BadRequest("vessel", "vessel is required (at most 80 characters).");
        if (c.Operator is { Length: > 80 }) return Problems.BadRequest("operator", "operator is at most 80 characters.");
        if (c.DepartureAt is null) return Problems.BadRequest("departureAt", "departureAt is required.");
        if (c.DepartureAt < clock.GetUtcNow().AddDays(-1) || c.DepartureAt > clock.GetUtcNow().AddYears(2))
            return Problems.BadRequest("departureAt", "departureAt must lie between yesterday and two years ahead.");
        if (c.ArrivalAt is { } arrival && (arrival <= c.DepartureAt || arrival > c.DepartureAt.Value.AddDays(4)))
            return Problems.BadRequest("arrivalAt", "arrivalAt must come after departureAt, within four days.");
        if (c.PassengerCapacity is null or < 1 or > MaxPassengers)
            return Problems.BadRequest("passengerCapacity", $"passengerCapacity must be between 1 and {MaxPassengers}.");
        if (c.VehicleLaneMetres is < 0 or > MaxLaneMetres)
            return Problems.BadRequest("vehicleLaneMetres", $"vehicleLaneMetres must be between 0 and {MaxLaneMetres}.");
        return WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/sailings", OperationId = "ScheduleSailing")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(201)]
    public static (IResult, IStartStream) Post(ScheduleSailing c, ClaimsPrincipal user)
    {
        var scheduled = Schedule(c, Guid.CreateVersion7(), user.StaffId());
        var sailing = Sailing.Create(scheduled);
        return (Results.Created($"/api/sailings/{sailing.Id}", ListSailingsEndpoint.Summary(sailing)),
            MartenOps.StartStream<Sailing>(sailing.Id, scheduled));
    }

    public static SailingScheduled Schedule(ScheduleSailing c, Guid id, string by)
    {
        var route = ReferenceData.Route(c.RouteCode!);
        var direction = c.Direction!.Value;
        return new SailingScheduled(id, route.Code, direction, route.OriginFor(direction), route.DestinationFor(direction),
            c.Operator?.Trim() ?? route.Operators[0], c.Vessel!.Trim(), c.DepartureAt!.Value,
            c.ArrivalAt ?? c.DepartureAt.Value + route.TypicalDuration, c.PassengerCapacity!.Value, c.VehicleLaneMetres ?? 0, by);
    }
}
