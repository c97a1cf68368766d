using System.Text.Json.Serialization;
using Marhaba.Ports;

namespace Marhaba.Sailings;

// Events of a sailing's stream. Times are business times (scheduled or as happened at the port).

public record SailingScheduled(
    Guid SailingId, string RouteCode, Direction Direction, string Origin, string Destination,
    string Operator, string Vessel, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt,
    int PassengerCapacity, int VehicleLaneMetres, string ScheduledBy);

public record PlacesReserved(Guid CrossingId, int Passengers, int LaneMetres);

public record PlacesReleased(Guid CrossingId, int Passengers, int LaneMetres, string Reason);

public record SailingCapacityChanged(int PassengerCapacity, int VehicleLaneMetres, string Reason, DateTimeOffset ChangedAt, string ChangedBy);

public record SailingBoardingStarted(DateTimeOffset StartedAt, string RecordedBy);

/// <summary>Persons and vehicles on board as counted at departure (Directive 98/41/EC), when known.</summary>
public record SailingDeparted(DateTimeOffset DepartedAt, int? PersonsOnBoard, int? VehiclesOnBoard, string RecordedBy);

public record SailingDelayed(DateTimeOffset NewDepartureAt, DateTimeOffset NewArrivalAt, string Reason, DateTimeOffset AnnouncedAt, string RecordedBy);

public record SailingCancelled(string Reason, DateTimeOffset CancelledAt, string CancelledBy);

public record SailingArrived(DateTimeOffset ArrivedAt, string RecordedBy);

public record SailingBerthChanged(string? Berth, string? Terminal, DateTimeOffset ChangedAt, string RecordedBy);

public enum SailingStatus { Scheduled, Boarding, Delayed, Departed, Arrived, Cancelled }

public enum SailingNoticeKind { Delayed, BerthChanged, Cancelled, Departed, Arrived }

/// <summary>A fact of the sailing that its travellers are told of: times as they stand after it.</summary>
public record SailingNotice(SailingNoticeKind Kind, DateTimeOffset At, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, string? Berth, string? Terminal);

/// <summary>
/// Vehicle room is counted in lane-metres, the unit ships declare (GNV Victory: 1,800 lane-m):
/// a car takes one car-equivalent unit of 5 lane-m (4.5 m long plus the gap lashing needs), a
/// motorbike half a lane of 2.5 m, a van 7.5 m and a camper or a car towing a trailer 10 m, as
/// they are longer and go to the high decks where lanes are fewer.
/// </summary>
public enum VehicleKind
{
    [JsonStringEnumMemberName("Motorbike")] Motorbike,
    [JsonStringEnumMemberName("Car")] Car,
    [JsonStringEnumMemberName("Van")] Van,
    [JsonStringEnumMemberName("Camper")] Camper,
    [JsonStringEnumMemberName("CarWithTrailer")] CarWithTrailer,
}

public static class VehicleRoom
{
    public const int LaneMetresPerCarEquivalent = 5;

    public static int LaneMetres(VehicleKind? kind) => kind switch
    {
        null => 0,
        VehicleKind.Motorbike => 3,
        VehicleKind.Car => 5,
        VehicleKind.Van => 8,
        VehicleKind.Camper => 10,
        VehicleKind.CarWithTrailer => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(kind))
    };
}

/// <summary>
/// A ferry departure on a route. It never holds more reservations than its capacity: every write
/// to a sailing's stream takes the stream's row lock (Marten's FetchForExclusiveWriting), so that
/// bookings on one sailing are decided one after another, on one node or several.
/// </summary>
public class Sailing
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public string RouteCode { get; set; } = "";
    public Direction Direction { get; set; }
    public string Origin { get; set; } = "";
    public string Destination { get; set; } = "";
    public string Operator { get; set; } = "";
    public string Vessel { get; set; } = "";
    /// <summary>Kept in UTC, whatever offset it was given with: an instant, indexed in a column of its own.</summary>
    public DateTimeOffset DepartureAt { get => _departureAt; set => _departureAt = value.ToUniversalTime(); }
    private DateTimeOffset _departureAt;
    public DateTimeOffset ArrivalAt { get; set; }
    public int PassengerCapacity { get; set; }
    public int VehicleLaneMetres { get; set; }
    public int ReservedPassengers { get; set; }
    public int ReservedLaneMetres { get; set; }
    public int Crossings { get; set; }
    public SailingStatus Status { get; set; }
    public DateTimeOffset ScheduledDepartureAt { get; set; }
    public DateTimeOffset ScheduledArrivalAt { get; set; }
    public string? StatusReason { get; set; }
    public string? Berth { get; set; }
    public string? Terminal { get; set; }

    /// <summary>What its travellers are told of, in order: delays, berth changes, cancellation, departure, arrival.</summary>
    public List<SailingNotice> Notices { get; set; } = [];

    public static Sailing Create(SailingScheduled e) => new()
    {
        Id = e.SailingId, RouteCode = e.RouteCode, Direction = e.Direction, Origin = e.Origin,
        Destination = e.Destination, Operator = e.Operator, Vessel = e.Vessel, DepartureAt = e.DepartureAt,
        ArrivalAt = e.ArrivalAt, PassengerCapacity = e.PassengerCapacity, VehicleLaneMetres = e.VehicleLaneMetres,
        ScheduledDepartureAt = e.DepartureAt, ScheduledArrivalAt = e.ArrivalAt
    };

    public void Apply(SailingCapacityChanged e) { PassengerCapacity = e.PassengerCapacity; VehicleLaneMetres = e.VehicleLaneMetres; }
    public void Apply(SailingBoardingStarted _) => Status = SailingStatus.Boarding;
    public void Apply(SailingDeparted e) { Status = SailingStatus.Departed; DepartureAt = e.DepartedAt; Tell(SailingNoticeKind.Departed, e.DepartedAt); }
    public void Apply(SailingArrived e) { Status = SailingStatus.Arrived; ArrivalAt = e.ArrivedAt; Tell(SailingNoticeKind.Arrived, e.ArrivedAt); }
    public void Apply(SailingCancelled e) { Status = SailingStatus.Cancelled; StatusReason = e.Reason; Tell(SailingNoticeKind.Cancelled, e.CancelledAt); }
    public void Apply(SailingBerthChanged e) { Berth = e.Berth ?? Berth; Terminal = e.Terminal ?? Terminal; Tell(SailingNoticeKind.BerthChanged, e.ChangedAt); }

    private void Tell(SailingNoticeKind kind, DateTimeOffset at) => Notices = [.. Notices, new SailingNotice(kind, at, DepartureAt, ArrivalAt, Berth, Terminal)];

    public void Apply(SailingDelayed e)
    {
        // Delayed before departure is a status; a later ETA once under way only moves the arrival.
        if (Status is SailingStatus.Scheduled or SailingStatus.Boarding or SailingStatus.Delayed)
        {
            Status = SailingStatus.Delayed;
            DepartureAt = e.NewDepartureAt;
        }
        ArrivalAt = e.NewArrivalAt;
        StatusReason = e.Reason;
        Tell(SailingNoticeKind.Delayed, e.AnnouncedAt);
    }

    public void Apply(PlacesReserved e)
    {
        ReservedPassengers += e.Passengers;
        ReservedLaneMetres += e.LaneMetres;
        Crossings++;
    }

    // Only counts: a release is appended with the crossing's own cancellation, no-show or move, in its transaction
    // and under its version check, so once per reservation; keeping each reservation here would make every
    // booking rewrite, and every arrival read, a document as big as the ship's list.
    public void Apply(PlacesReleased e)
    {
        ReservedPassengers -= e.Passengers;
        ReservedLaneMetres -= e.LaneMetres;
        Crossings--;
    }

    public int FreePassengerPlaces => PassengerCapacity - ReservedPassengers;
    public int FreeLaneMetres => VehicleLaneMetres - ReservedLaneMetres;

    /// <summary>
    /// Whether the ship had left by <paramref name="at"/>: its recorded departure, or, where the departure
    /// port recorded none (it may have been offline), its departure time as it then stood, delays included.
    /// </summary>
    public bool HasLeft(DateTimeOffset at) => Status != SailingStatus.Cancelled && DepartureAt <= at;

    /// <summary>Why the ship had not left by <paramref name="at"/>, for a step that needs it gone.</summary>
    public string WhyNotLeft(DateTimeOffset at) => Status == SailingStatus.Cancelled
        ? $"Sailing {Vessel} of {ScheduledDepartureAt:yyyy-MM-dd HH:mm}Z was cancelled."
        : $"Sailing {Vessel} has not left {Origin} yet: it departs at {DepartureAt:yyyy-MM-dd HH:mm}Z" +
          (DepartureAt != ScheduledDepartureAt ? $" (delayed from {ScheduledDepartureAt:HH:mm}Z)." : ".");

    public bool TakesBookings => Status is SailingStatus.Scheduled or SailingStatus.Boarding or SailingStatus.Delayed;

    /// <summary>Why a party of this size cannot be booked on this sailing now, or null when it can.</summary>
    public string? WhyNotBookable(int passengers, int laneMetres, DateTimeOffset now) =>
        Status == SailingStatus.Cancelled ? $"Sailing {Vessel} {DepartureAt:yyyy-MM-dd HH:mm}Z is cancelled ({StatusReason})."
        : !TakesBookings || DepartureAt <= now ? $"Sailing {Vessel} {DepartureAt:yyyy-MM-dd HH:mm}Z has already departed."
        : WhyItDoesNotFit(passengers, laneMetres);

    /// <summary>Why a party of this size does not fit, or null when it does.</summary>
    public string? WhyItDoesNotFit(int passengers, int laneMetres) =>
        passengers > FreePassengerPlaces
            ? $"No passenger places left on sailing {Vessel} {DepartureAt:yyyy-MM-dd HH:mm}: {FreePassengerPlaces} free, {passengers} asked."
            : laneMetres > FreeLaneMetres
                ? $"No vehicle room left on sailing {Vessel} {DepartureAt:yyyy-MM-dd HH:mm}: {FreeLaneMetres} lane-metres free, {laneMetres} asked."
                : null;
}

