using System.Text.Json.Serialization;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;

namespace Marhaba.Crossings;

// Events of a crossing's stream: ids and counts, never names or document numbers.
// "At" fields are business time, when it happened at the port; Marten records its own timestamp apart.

public record CrossingBooked(
    Guid CrossingId, string BookingReference, Guid SailingId, string RouteCode,
    Direction Direction, string Origin, string Destination, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt,
    int Adults, int Children, VehicleKind? Vehicle, DateTimeOffset BookedAt, string BookedBy);

// The sailing and the party's size ride along on each step, so that the load views
// (per sailing, port and day) are projected from the events alone.

public record CrossingCheckedIn(string Port, string? Lane, DateTimeOffset CheckedInAt, string RecordedBy, Guid SailingId, int Passengers, VehicleKind? Vehicle);

public record CrossingEmbarked(string Port, Guid SailingId, DateTimeOffset EmbarkedAt, string RecordedBy, int Passengers, VehicleKind? Vehicle);

public record CrossingArrived(
    string Port, string? Lane, DateTimeOffset ArrivedAt, string RecordedBy,
    int Passengers, VehicleKind? Vehicle, Direction Direction, string RouteCode, Guid SailingId);

public record CrossingCleared(string Port, DateTimeOffset ClearedAt, string RecordedBy, int Passengers, VehicleKind? Vehicle);

public record CrossingCompleted(DateTimeOffset CompletedAt, string RecordedBy);

// A crossing leaving its sailing says whether it had checked in, so that the load views take back exactly what they counted.
// Reasons are codes: what a person wrote about why stays in the erasable CrossingRemarks document.

public record CrossingCancelled(CancellationReason Reason, DateTimeOffset CancelledAt, string CancelledBy, Guid SailingId, int Passengers, VehicleKind? Vehicle, bool WasCheckedIn);

public record CrossingMarkedNoShow(string Port, DateTimeOffset MarkedAt, string RecordedBy, Guid SailingId, int Passengers, VehicleKind? Vehicle, bool WasCheckedIn);

/// <summary>Moved to another sailing (by the operator, or because its sailing was cancelled).</summary>
public record CrossingRebooked(
    Guid FromSailingId, Guid ToSailingId, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, RebookingReason Reason,
    DateTimeOffset RebookedAt, string RebookedBy, int Passengers, VehicleKind? Vehicle, bool WasCheckedIn);

public enum CancellationReason
{
    [JsonStringEnumMemberName("TravellerRequest")] TravellerRequest,
    [JsonStringEnumMemberName("Illness")] Illness,
    [JsonStringEnumMemberName("FamilyEmergency")] FamilyEmergency,
    [JsonStringEnumMemberName("ChangeOfPlans")] ChangeOfPlans,
    [JsonStringEnumMemberName("MissingDocuments")] MissingDocuments,
    [JsonStringEnumMemberName("OperatorDecision")] OperatorDecision,
    [JsonStringEnumMemberName("Other")] Other,
}

public enum RebookingReason
{
    [JsonStringEnumMemberName("TravellerRequest")] TravellerRequest,
    [JsonStringEnumMemberName("SailingCancelled")] SailingCancelled,
    [JsonStringEnumMemberName("SailingFull")] SailingFull,
    [JsonStringEnumMemberName("OperatorDecision")] OperatorDecision,
    [JsonStringEnumMemberName("Other")] Other,
}

public enum CrossingStatus { Booked, CheckedIn, Embarked, Arrived, Cleared, Completed, Cancelled, NoShow }

/// <summary>A step port staff record at a desk; each has its endpoint under <c>/api/ports/{port}/</c>.</summary>
public enum DeskStep { CheckIn, Boarding, Arrival, Clearance, Exit }

/// <summary>
/// One party's journey (travellers and perhaps a vehicle) on one sailing. Kept inline as a
/// document, so that whoever writes reads their own write. Immutable: each event gives a new crossing, so that the state
/// before a command and the state after it are two values (the version alone is the store's to set).
/// </summary>
public sealed record Crossing
{
    public Guid Id { get; init; }
    public int Version { get; set; }
    public string BookingReference { get; init; } = "";
    public Guid SailingId { get; init; }
    /// <summary>The sailing it was moved off, last (a cancellation's rebooking): its travellers are told from there.</summary>
    public Guid? PreviousSailingId { get; init; }
    public string RouteCode { get; init; } = "";
    public Direction Direction { get; init; }
    public string Origin { get; init; } = "";
    public string Destination { get; init; } = "";
    public DateTimeOffset DepartureAt { get; init; }
    public DateTimeOffset ArrivalAt { get; init; }
    public int Adults { get; init; }
    public int Children { get; init; }
    public VehicleKind? Vehicle { get; init; }
    public CrossingStatus Status { get; init; }
    public DateTimeOffset BookedAt { get; init; }
    public DateTimeOffset? CheckedInAt { get; init; }
    public DateTimeOffset? EmbarkedAt { get; init; }
    public DateTimeOffset? ArrivedAt { get; init; }
    public string? ArrivalLane { get; init; }
    public DateTimeOffset? ClearedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }
    public CancellationReason? CancellationReason { get; init; }
    /// <summary>Its sailing was cancelled and no other sailing had room: planners must find it one.</summary>
    public bool LeftWithoutSailing { get; init; }
    /// <summary>The traveller's data was erased; the crossing remains, anonymous.</summary>
    public bool Erased { get; init; }

    public int Passengers => Adults + Children;
    public int LaneMetres => VehicleRoom.LaneMetres(Vehicle);

    public static Crossing Create(CrossingBooked e) => new()
    {
        Id = e.CrossingId, BookingReference = e.BookingReference,
        SailingId = e.SailingId, RouteCode = e.RouteCode, Direction = e.Direction, Origin = e.Origin,
        Destination = e.Destination, DepartureAt = e.DepartureAt, ArrivalAt = e.ArrivalAt, Adults = e.Adults,
        Children = e.Children, Vehicle = e.Vehicle, Status = CrossingStatus.Booked, BookedAt = e.BookedAt
    };

    public Crossing Apply(CrossingCheckedIn e) => this with { Status = CrossingStatus.CheckedIn, CheckedInAt = e.CheckedInAt };
    public Crossing Apply(CrossingEmbarked e) => this with { Status = CrossingStatus.Embarked, EmbarkedAt = e.EmbarkedAt };
    public Crossing Apply(CrossingArrived e) => this with { Status = CrossingStatus.Arrived, ArrivedAt = e.ArrivedAt, ArrivalLane = e.Lane };
    public Crossing Apply(CrossingCleared e) => this with { Status = CrossingStatus.Cleared, ClearedAt = e.ClearedAt };
    public Crossing Apply(CrossingCompleted e) => this with { Status = CrossingStatus.Completed, CompletedAt = e.CompletedAt };
    public Crossing Apply(CrossingCancelled e) => this with { Status = CrossingStatus.Cancelled, CancelledAt = e.CancelledAt, CancellationReason = e.Reason };
    public Crossing Apply(CrossingMarkedNoShow e) => this with { Status = CrossingStatus.NoShow };
    // A new sailing means a new check-in at the departure port.
    public Crossing Apply(CrossingRebooked e) => this with
    {
        SailingId = e.ToSailingId, PreviousSailingId = e.FromSailingId, DepartureAt = e.DepartureAt, ArrivalAt = e.ArrivalAt,
        Status = CrossingStatus.Booked, CheckedInAt = null, LeftWithoutSailing = false
    };
    public Crossing Apply(CrossingLeftWithoutSailing _) => this with { LeftWithoutSailing = true };
    public Crossing Apply(Privacy.TravellerDataErased _) => this with { Erased = true };

    public bool IsOver => Status is CrossingStatus.Cancelled or CrossingStatus.NoShow or CrossingStatus.Completed;

    /// <summary>
    /// The crossing's life at the ports as one table: the step a desk at <paramref name="port"/> records next, if any.
    /// An arrival is accepted whatever the departure port recorded (it may have been offline). The rules, the quay
    /// desk's buttons and the settlement at departure all read this.
    /// </summary>
    public DeskStep? NextStepAt(string port) =>
        IsOver ? null
        : string.Equals(port, Origin, StringComparison.OrdinalIgnoreCase)
            ? Status switch { CrossingStatus.Booked => DeskStep.CheckIn, CrossingStatus.CheckedIn => DeskStep.Boarding, _ => null }
        : string.Equals(port, Destination, StringComparison.OrdinalIgnoreCase) ? Status switch
        {
            CrossingStatus.Booked or CrossingStatus.CheckedIn or CrossingStatus.Embarked => DeskStep.Arrival,
            CrossingStatus.Arrived => DeskStep.Clearance,
            CrossingStatus.Cleared => DeskStep.Exit,
            _ => null
        }
        : null;

    public bool HoldsPlaceOnSailing => Status is CrossingStatus.Booked or CrossingStatus.CheckedIn;
}

/// <summary>
/// The rules of a crossing's life, as pure decisions: the current crossing and the request in,
/// the new event or the reason it is refused out. Endpoints only load, call and append.
/// </summary>
public static class CrossingRules
{
    /// <summary>Business times may be late (poor connectivity at the quay) but not in the future.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan LatestBackdating = TimeSpan.FromDays(3);

    public static Refusal? CheckBusinessTime(DateTimeOffset at, DateTimeOffset now, string field) =>
        at > now + AllowedClockSkew ? Refusal.Invalid(field, $"{field} {at:O} is in the future.")
        : at < now - LatestBackdating ? Refusal.Invalid(field, $"{field} {at:O} is more than {LatestBackdating.TotalDays} days ago.")
        : null;

    public static Refusal? RefuseIfOver(Crossing c) => c.Status switch
    {
        CrossingStatus.Cancelled => Refusal.Conflict($"Crossing {c.BookingReference} was cancelled."),
        CrossingStatus.NoShow => Refusal.Conflict($"Crossing {c.BookingReference} was marked as a no-show."),
        CrossingStatus.Completed => Refusal.Conflict($"Crossing {c.BookingReference} is already completed."),
        _ => null
    };

    /// <summary>
    /// A desk step, decided: the crossing's table (<see cref="Crossing.NextStepAt"/>) allows it here, and for an arrival
    /// the ship has left; then the step's event, carrying what the load views count.
    /// </summary>
    public static Decision Record(Crossing c, DeskStep step, string port, string? lane, DateTimeOffset at, string staff, Sailing? sailing = null) =>
        (CanRecord(c, step, port) ?? (step == DeskStep.Arrival ? CanHaveArrived(c, sailing!, at) : null)) is { } no ? no
        : Decision.Append(step switch
        {
            DeskStep.CheckIn => new CrossingCheckedIn(c.Origin, lane, at, staff, c.SailingId, c.Passengers, c.Vehicle),
            DeskStep.Boarding => new CrossingEmbarked(c.Origin, c.SailingId, at, staff, c.Passengers, c.Vehicle),
            DeskStep.Arrival => new CrossingArrived(c.Destination, lane, at, staff, c.Passengers, c.Vehicle, c.Direction, c.RouteCode, c.SailingId),
            DeskStep.Clearance => new CrossingCleared(c.Destination, at, staff, c.Passengers, c.Vehicle),
            _ => new CrossingCompleted(at, staff)
        });

    /// <summary>Whether a desk at <paramref name="port"/> may record <paramref name="step"/>, and if not, why, in words for the quay.</summary>
    public static Refusal? CanRecord(Crossing c, DeskStep step, string port)
    {
        if (RefuseIfOver(c) is { } over) return over;
        var atDeparture = step is DeskStep.CheckIn or DeskStep.Boarding;
        if (!string.Equals(port, atDeparture ? c.Origin : c.Destination, StringComparison.OrdinalIgnoreCase))
            return Refusal.Invalid("port", atDeparture
                ? $"Crossing {c.BookingReference} departs from {c.Origin}, not {port}."
                : $"Crossing {c.BookingReference} is bound for {c.Destination}, not {port}.");
        if (c.NextStepAt(port) == step) return null;
        return Refusal.Conflict((step, c.Status) switch
        {
            (DeskStep.CheckIn, _) => $"Crossing {c.BookingReference} is already {Describe(c)}; it can be checked in only once.",
            (DeskStep.Boarding, CrossingStatus.Booked) => $"Crossing {c.BookingReference} has not been checked in at {c.Origin}; check it in before boarding.",
            (DeskStep.Arrival, _) => $"Crossing {c.BookingReference} already arrived at {c.Destination} at {c.ArrivedAt:yyyy-MM-dd HH:mm}Z.",
            (DeskStep.Clearance, CrossingStatus.Cleared) => $"Crossing {c.BookingReference} is already cleared.",
            (DeskStep.Clearance, _) => $"Crossing {c.BookingReference} has not arrived yet; record its arrival first.",
            (DeskStep.Exit, _) => $"Crossing {c.BookingReference} is {Describe(c)}; only a cleared crossing can be completed.",
            _ => $"Crossing {c.BookingReference} is already {Describe(c)}."
        });
    }

    /// <summary>An arrival is what port staff see at the quay, so the ship must have left its departure port.</summary>
    private static Refusal? CanHaveArrived(Crossing c, Sailing sailing, DateTimeOffset at) =>
        !sailing.HasLeft(at) ? Refusal.Conflict($"Crossing {c.BookingReference} cannot have arrived: {sailing.WhyNotLeft(at)}") : null;

    public static Refusal? CanCancel(Crossing c) =>
        RefuseIfOver(c)
        ?? (!c.HoldsPlaceOnSailing
            ? Refusal.Conflict($"Crossing {c.BookingReference} is already {Describe(c)}; it can no longer be cancelled.")
            : null);

    public static Refusal? CanMarkNoShow(Crossing c, Sailing sailing, string port, DateTimeOffset now) =>
        RefuseIfOver(c)
        ?? (!string.Equals(port, c.Origin, StringComparison.OrdinalIgnoreCase)
            ? Refusal.Invalid("port", $"Crossing {c.BookingReference} departs from {c.Origin}, not {port}.")
            : !c.HoldsPlaceOnSailing
                ? Refusal.Conflict($"Crossing {c.BookingReference} is already {Describe(c)}.")
                : !sailing.HasLeft(now)
                    ? Refusal.Conflict($"A no-show is recorded only once the ship has left: {sailing.WhyNotLeft(now)}")
                    : null);

    public static Refusal? CanRebook(Crossing c, Sailing to, DateTimeOffset now) =>
        RefuseIfOver(c)
        ?? (!c.HoldsPlaceOnSailing
            ? Refusal.Conflict($"Crossing {c.BookingReference} is already {Describe(c)}; it can no longer be rebooked.")
            : to.Id == c.SailingId
                ? Refusal.Conflict($"Crossing {c.BookingReference} is already on that sailing.")
                : to.Origin != c.Origin || to.Destination != c.Destination
                    ? Refusal.Invalid("sailingId", $"Crossing {c.BookingReference} goes {c.Origin} to {c.Destination}; that sailing goes {to.Origin} to {to.Destination}.")
                    : to.WhyNotBookable(c.Passengers, c.LaneMetres, now) is { } why
                        ? Refusal.Conflict(why)
                        : null);

    /// <summary>A crossing moved between sailings: its own event, and the places released on one sailing and reserved on the other.</summary>
    public sealed record Move(CrossingRebooked Rebooked, PlacesReleased Released, PlacesReserved Reserved);

    public static (Move? Move, Refusal? Refused) Rebook(Crossing c, Sailing to, RebookingReason reason, DateTimeOffset now, string by) =>
        CanRebook(c, to, now) is { } refused
            ? (null, refused)
            : (new Move(
                new CrossingRebooked(c.SailingId, to.Id, to.DepartureAt, to.ArrivalAt, reason, now, by, c.Passengers, c.Vehicle, c.Status == CrossingStatus.CheckedIn),
                new PlacesReleased(c.Id, c.Passengers, c.LaneMetres, "rebooked"),
                new PlacesReserved(c.Id, c.Passengers, c.LaneMetres)), null);

    public static string Describe(Crossing c) => c.Status switch
    {
        CrossingStatus.CheckedIn => $"checked in at {c.Origin}",
        CrossingStatus.Embarked => "embarked",
        CrossingStatus.Arrived => $"arrived at {c.Destination}",
        CrossingStatus.Cleared => $"cleared at {c.Destination}",
        CrossingStatus.NoShow => "a no-show",
        _ => c.Status.ToString().ToLowerInvariant()
    };
}
