using System.Security.Claims;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Marhaba.Sailings;

public record ChangeSailingCapacity(int? PassengerCapacity, int? VehicleLaneMetres, string? Reason);
public record StartBoarding(DateTimeOffset? OccurredAt);
public record RecordDeparture(DateTimeOffset? OccurredAt, int? PersonsOnBoard, int? VehiclesOnBoard);
public record DelaySailing(DateTimeOffset? NewDepartureAt, DateTimeOffset? NewArrivalAt, string? Reason);
public record CancelSailing(string? Reason);
public record RecordSailingArrival(DateTimeOffset? OccurredAt);

/// <summary>
/// The rules of a sailing's life, as pure decisions. The sailing's status moves forwards only:
/// scheduled → boarding → departed → arrived, delayed on the way, or cancelled before departure.
/// </summary>
public static class SailingRules
{
    public static Decision ChangeCapacity(Sailing s, ChangeSailingCapacity c, DateTimeOffset now, string by)
    {
        var passengers = c.PassengerCapacity ?? s.PassengerCapacity;
        var laneMetres = c.VehicleLaneMetres ?? s.VehicleLaneMetres;
        if (s.Status is SailingStatus.Cancelled or SailingStatus.Departed or SailingStatus.Arrived)
            return Refusal.Conflict($"Sailing {s.Vessel} is {s.Status.ToString().ToLowerInvariant()}; its capacity can no longer change.");
        if (passengers < s.ReservedPassengers)
            return Refusal.Conflict($"{s.ReservedPassengers} passengers are already booked on {s.Vessel} {s.DepartureAt:yyyy-MM-dd HH:mm}Z: " +
                                     $"the capacity cannot go below that; rebook crossings to another sailing first.");
        if (laneMetres < s.ReservedLaneMetres)
            return Refusal.Conflict($"{s.ReservedLaneMetres} lane-metres of vehicles are already booked on {s.Vessel}: " +
                                     $"the vehicle capacity cannot go below that; rebook crossings to another sailing first.");
        return Decision.Append(new SailingCapacityChanged(passengers, laneMetres, c.Reason!.Trim(), now, by));
    }

    public static Decision StartBoarding(Sailing s, DateTimeOffset at, string by) =>
        s.Status is SailingStatus.Scheduled or SailingStatus.Delayed
            ? Decision.Append(new SailingBoardingStarted(at, by))
            : Refusal.Conflict($"Sailing {s.Vessel} is {s.Status.ToString().ToLowerInvariant()}; boarding starts only on a scheduled or delayed sailing.");

    public static Decision Depart(Sailing s, RecordDeparture c, DateTimeOffset at, string by) =>
        s.Status is SailingStatus.Scheduled or SailingStatus.Boarding or SailingStatus.Delayed
            ? Decision.Append(new SailingDeparted(at, c.PersonsOnBoard, c.VehiclesOnBoard, by))
            : Refusal.Conflict($"Sailing {s.Vessel} is {s.Status.ToString().ToLowerInvariant()}; it cannot depart.");

    public static Decision Delay(Sailing s, DelaySailing c, DateTimeOffset now, string by)
    {
        if (s.Status is SailingStatus.Cancelled or SailingStatus.Arrived)
            return Refusal.Conflict($"Sailing {s.Vessel} is {s.Status.ToString().ToLowerInvariant()}; it cannot be delayed.");
        var departure = s.Status == SailingStatus.Departed ? s.DepartureAt : c.NewDepartureAt ?? s.DepartureAt;
        var arrival = c.NewArrivalAt ?? departure + (s.ArrivalAt - s.DepartureAt);
        if (arrival <= departure) return Refusal.Invalid("newArrivalAt", "newArrivalAt must come after the departure.");
        return Decision.Append(new SailingDelayed(departure, arrival, c.Reason!.Trim(), now, by));
    }

    public static Decision Cancel(Sailing s, CancelSailing c, DateTimeOffset now, string by) =>
        s.Status is SailingStatus.Scheduled or SailingStatus.Boarding or SailingStatus.Delayed
            ? Decision.Append(new SailingCancelled(c.Reason!.Trim(), now, by))
            : Refusal.Conflict($"Sailing {s.Vessel} is {s.Status.ToString().ToLowerInvariant()}; only a sailing that has not departed can be cancelled.");

    public static Decision Arrive(Sailing s, DateTimeOffset at, string by) =>
        s.Status == SailingStatus.Departed
            ? Decision.Append(new SailingArrived(at, by))
            : Refusal.Conflict($"Sailing {s.Vessel} is {s.Status.ToString().ToLowerInvariant()}; only a departed sailing arrives.");
}

/// <summary>A planner's change names its sailing in the route and waits for the sailing's row lock, as bookings do.</summary>
public sealed class SailingInRouteAttribute : StreamInRouteAttribute
{
    public SailingInRouteAttribute() : base("sailingId", "No sailing {0}.") => LoadStyle = ConcurrencyStyle.Exclusive;
}

public static class ChangeSailingEndpoints
{
    public static ProblemDetails Validate(ChangeSailingCapacity c) =>
        c.PassengerCapacity is null && c.VehicleLaneMetres is null ? Problems.BadRequest("passengerCapacity", "Give passengerCapacity, vehicleLaneMetres or both.")
        : c.PassengerCapacity is < 1 or > ScheduleSailingEndpoint.MaxPassengers ? Problems.BadRequest("passengerCapacity", $"passengerCapacity must be between 1 and {ScheduleSailingEndpoint.MaxPassengers}.")
        : c.VehicleLaneMetres is < 0 or > ScheduleSailingEndpoint.MaxLaneMetres ? Problems.BadRequest("vehicleLaneMetres", $"vehicleLaneMetres must be between 0 and {ScheduleSailingEndpoint.MaxLaneMetres}.")
        : RequireReason(c.Reason);

    public static ProblemDetails RequireReason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) || reason.Length > 200
            ? Problems.BadRequest("reason", "reason is required, at most 200 characters.")
            : WolverineContinue.NoProblems;

    /// <summary>A planner changes a sailing's capacity (a bigger ship, a closed deck); never below what is booked.</summary>
    [WolverinePost("/api/sailings/{sailingId}/capacity", OperationId = "ChangeSailingCapacity")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Capacity(ChangeSailingCapacity command, [SailingInRoute] Sailing s, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, SailingConsequences consequences, CancellationToken ct) =>
        consequences.AnswerAsync(session, s, SailingRules.ChangeCapacity(s, command, clock.GetUtcNow(), user.StaffId()), ct);
}

public static class SailingStatusEndpoints
{
    [WolverinePost("/api/sailings/{sailingId}/boarding", OperationId = "StartBoarding")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Boarding(StartBoarding command, [SailingInRoute] Sailing s, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, SailingConsequences consequences, CancellationToken ct) =>
        consequences.AnswerAsync(session, s, SailingRules.StartBoarding(s, command.OccurredAt ?? clock.GetUtcNow(), user.StaffId()), ct);

    [WolverinePost("/api/sailings/{sailingId}/departure", OperationId = "RecordDeparture")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Departure(RecordDeparture command, [SailingInRoute] Sailing s, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, SailingConsequences consequences, CancellationToken ct) =>
        consequences.AnswerAsync(session, s, SailingRules.Depart(s, command, command.OccurredAt ?? clock.GetUtcNow(), user.StaffId()), ct);

    [WolverinePost("/api/sailings/{sailingId}/arrival", OperationId = "RecordSailingArrival")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Arrival(RecordSailingArrival command, [SailingInRoute] Sailing s, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, SailingConsequences consequences, CancellationToken ct) =>
        consequences.AnswerAsync(session, s, SailingRules.Arrive(s, command.OccurredAt ?? clock.GetUtcNow(), user.StaffId()), ct);
}

public static class DelaySailingEndpoint
{
    public static ProblemDetails Validate(DelaySailing command) => ChangeSailingEndpoints.RequireReason(command.Reason);

    [WolverinePost("/api/sailings/{sailingId}/delay", OperationId = "DelaySailing")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post(DelaySailing command, [SailingInRoute] Sailing s, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, SailingConsequences consequences, CancellationToken ct) =>
        consequences.AnswerAsync(session, s, SailingRules.Delay(s, command, clock.GetUtcNow(), user.StaffId()), ct);
}
