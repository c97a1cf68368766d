using Marhaba.Ports;

namespace Marhaba.Sailings;

// Events of a sailing's stream. Times are business times (scheduled or as happened at the port).

public record SailingScheduled(
    Guid SailingId, string RouteCode, Direction Direction, string Origin, string Destination,
    string Operator, string Vessel, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt,
    int PassengerCapacity, int VehicleLaneMetres, string ScheduledBy);

public record PlacesReserved(Guid CrossingId, int Passengers, int LaneMetres);

public record PlacesReleased(Guid CrossingId, int Passengers, int LaneMetres, string Reason);

/// <summary>
/// Vehicle room is counted in lane-metres, the unit ships declare (GNV Victory: 1,800 lane-m):
/// a car takes one car-equivalent unit of 5 lane-m (4.5 m long plus the gap lashing needs), a
/// motorbike half a lane of 2.5 m, a van 7.5 m and a camper or a car towing a trailer 10 m, as
/// they are longer and go to the high decks where lanes are fewer.
/// </summary>
public enum VehicleKind { Motorbike, Car, Van, Camper, CarWithTrailer }

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
    public DateTimeOffset DepartureAt { get; set; }
    public DateTimeOffset ArrivalAt { get; set; }
    public int PassengerCapacity { get; set; }
    public int VehicleLaneMetres { get; set; }
    public int ReservedPassengers { get; set; }
    public int ReservedLaneMetres { get; set; }
    public int Crossings { get; set; }

    /// <summary>What each crossing holds on board, so that a release gives back exactly that.</summary>
    public Dictionary<Guid, Reservation> Reservations { get; set; } = new();

    public static Sailing Create(SailingScheduled e) => new()
    {
        Id = e.SailingId, RouteCode = e.RouteCode, Direction = e.Direction, Origin = e.Origin,
        Destination = e.Destination, Operator = e.Operator, Vessel = e.Vessel, DepartureAt = e.DepartureAt,
        ArrivalAt = e.ArrivalAt, PassengerCapacity = e.PassengerCapacity, VehicleLaneMetres = e.VehicleLaneMetres
    };

    public void Apply(PlacesReserved e)
    {
        Reservations[e.CrossingId] = new Reservation(e.Passengers, e.LaneMetres);
        ReservedPassengers += e.Passengers;
        ReservedLaneMetres += e.LaneMetres;
        Crossings++;
    }

    public void Apply(PlacesReleased e)
    {
        if (!Reservations.Remove(e.CrossingId)) return;
        ReservedPassengers -= e.Passengers;
        ReservedLaneMetres -= e.LaneMetres;
        Crossings--;
    }

    public int FreePassengerPlaces => PassengerCapacity - ReservedPassengers;
    public int FreeLaneMetres => VehicleLaneMetres - ReservedLaneMetres;

    /// <summary>Why a party of this size does not fit, or null when it does.</summary>
    public string? WhyItDoesNotFit(int passengers, int laneMetres) =>
        passengers > FreePassengerPlaces
            ? $"No passenger places left on sailing {Vessel} {DepartureAt:yyyy-MM-dd HH:mm}: {FreePassengerPlaces} free, {passengers} asked."
            : laneMetres > FreeLaneMetres
                ? $"No vehicle room left on sailing {Vessel} {DepartureAt:yyyy-MM-dd HH:mm}: {FreeLaneMetres} lane-metres free, {laneMetres} asked."
                : null;
}

public record Reservation(int Passengers, int LaneMetres);
