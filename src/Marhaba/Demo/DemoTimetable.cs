using Marhaba.Crossings;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;

namespace Marhaba.Demo;

/// <summary>A day of the demo's timetable already written (its sailings and their bookings), by its date in UTC.</summary>
public sealed class DemoDay
{
    public string Id { get; set; } = "";
}

/// <summary>
/// The demo's timetable, a slice of the 2025 network on a fixed rhythm from an epoch, so that any day's sailings can
/// be written when that day comes into view and fit those of the day before: Algeciras–Tanger Med every two hours
/// each way (53 rotations a day in 2019), the other lines a few times a day or a week.
/// </summary>
public static class DemoTimetable
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Sailings per day each way, the first homeward departure of the rhythm (UTC), passenger capacity, lane-metres, vessel.</summary>
    private static readonly (string Route, double PerDay, double FirstHour, int Passengers, int LaneMetres, string Vessel)[] Lines =
    [
        ("ESALG-MAPTM", 12, 0, 400, 500, "Baleària Ceuta Jet"),
        ("ESTAR-MATNG", 3, 7, 600, 500, "Baleària Kattegat"),
        ("ESLEI-MANDR", 1, 9, 1400, 2125, "Nissos Chios"),
        ("ESMOT-MAAHU", 1, 10, 900, 1000, "Volcán de Tamasite"),
        ("ITGOA-MAPTM", 0.5, 8, 1200, 1800, "GNV Victory"),
        ("FRSET-MANDR", 0.5, 11, 1000, 1500, "GNV Majestic"),
        ("FRMRS-MAPTM", 0.34, 7, 1000, 1400, "Piana"),
    ];

    /// <summary>The days the demo keeps written: from two days back (last night's arrivals) to four ahead (the planners' outlook).</summary>
    public static IEnumerable<DateOnly> DaysAround(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        for (var d = -2; d <= 4; d++) yield return today.AddDays(d);
    }

    public static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The sailings departing on <paramref name="day"/> (UTC), each way; a ship turns round an hour after it berths.</summary>
    public static IEnumerable<SailingScheduled> SailingsOn(DateOnly day)
    {
        var (from, to) = (StartOf(day), StartOf(day.AddDays(1)));
        foreach (var (code, perDay, firstHour, passengers, laneMetres, vessel) in Lines)
        {
            var route = ReferenceData.Route(code);
            var gap = TimeSpan.FromHours(24 / perDay);
            foreach (var direction in Enum.GetValues<Direction>())
            {
                var phase = TimeSpan.FromHours(firstHour) + (direction == Direction.Inbound ? TimeSpan.Zero : route.TypicalDuration + TimeSpan.FromHours(1));
                var first = Epoch + phase + gap * Math.Ceiling((from - Epoch - phase) / gap);
                for (var departure = first; departure < to; departure += gap)
                {
                    var departureAt = new DateTimeOffset(departure.UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
                    yield return ScheduleSailingEndpoint.Schedule(
                        new ScheduleSailing(code, direction, route.Operators[(int)(departureAt.UtcTicks / gap.Ticks % route.Operators.Length)], vessel,
                            departureAt, null, passengers, laneMetres), Guid.CreateVersion7(), DemoOperations.Planner);
                }
            }
        }
    }

    /// <summary>
    /// Writes a day's sailings and their bookings, each with its traveller's access code, profile and wish to be told;
    /// the homeward sailings still ahead are well booked (the planners' concern), the rest lightly. Every step at the
    /// ports is left to <see cref="DemoOperations"/>, which records it when its time comes.
    /// </summary>
    public static async Task<(int Crossings, string? Shown)> WriteDayAsync(IDocumentStore store, TravellerAccess access, DateOnly day, DateTimeOffset now, CancellationToken ct)
    {
        var (crossings, shown) = (0, (string?)null);
        await using var session = store.LightweightSession();
        foreach (var sailing in SailingsOn(day))
        {
            session.Events.StartStream<Sailing>(sailing.SailingId, sailing);
            var random = new Random((int)(sailing.DepartureAt.ToUnixTimeSeconds() / 60 % int.MaxValue) ^ sailing.RouteCode.Aggregate(17, (h, c) => h * 31 + c) ^ (int)sailing.Direction);
            var loadFactor = sailing.Direction == Direction.Inbound && sailing.DepartureAt > now ? 0.45 + random.NextDouble() * 0.5 : 0.04 + random.NextDouble() * 0.08;
            for (var booked = 0; booked < sailing.PassengerCapacity * loadFactor;)
            {
                var code = Codes.NewAccessCode();
                var (reference, party) = Book(session, access, sailing, random, code, now);
                if (shown is null && sailing.Direction == Direction.Inbound && sailing.DepartureAt > now.AddHours(3)) shown = $"{reference} / access code {code}";
                booked += party;
                crossings++;
            }
        }
        session.Store(new DemoDay { Id = day.ToString("yyyy-MM-dd") });
        await session.SaveChangesAsync(ct);
        return (crossings, shown);
    }

    private static (string Reference, int Party) Book(IDocumentSession s, TravellerAccess access, SailingScheduled sailing, Random r, string code, DateTimeOffset now)
    {
        var reference = Codes.NewBookingReference();
        var id = Codes.CrossingIdOf(reference);
        var adults = r.Next(1, 4);
        var children = r.Next(0, 4);
        VehicleKind? vehicle = r.NextDouble() switch
        {
            < 0.30 => null,
            < 0.82 => VehicleKind.Car,
            < 0.90 => VehicleKind.Van,
            < 0.94 => VehicleKind.Camper,
            < 0.97 => VehicleKind.CarWithTrailer,
            _ => VehicleKind.Motorbike
        };
        var bookedAt = Min(sailing.DepartureAt.AddDays(-r.Next(2, 60)), now);
        s.Events.Append(sailing.SailingId, new PlacesReserved(id, adults + children, VehicleRoom.LaneMetres(vehicle)));
        s.Events.StartStream<Crossing>(id, new CrossingBooked(id, reference, sailing.SailingId, sailing.RouteCode, sailing.Direction,
            sailing.Origin, sailing.Destination, sailing.DepartureAt, sailing.ArrivalAt, adults, children, vehicle, bookedAt, "demo-operator"));
        if (vehicle is not null)
            s.Store(new CrossingVehicle { Id = id, Plate = $"{(char)('A' + r.Next(26))}{(char)('A' + r.Next(26))}{r.Next(100, 999)}{(char)('A' + r.Next(26))}{(char)('A' + r.Next(26))}", Country = sailing.Origin[..1] });
        s.Insert(access.Issue(reference, id, code, bookedAt));
        if (sailing.DepartureAt > now)
        {
            // Travellers still to sail asked to be told of changes, each in a language of the operation: their messages
            // land in the local mail server's inbox, and one in four also asked for SMS (the stand-in gateway's phones).
            var bySms = reference[^2] % 4 == 0;
            s.Store(new Privacy.TravellerProfile
            {
                Id = id, Party = [new Privacy.PartyMember("Demo", "Traveller", null, "MA", null, null)],
                Email = $"{reference.ToLowerInvariant()}@demo.marhaba.example", PreferredLanguage = (Assistance.Language)(reference[^1] % 4), NotifyByEmail = true,
                Phone = bySms ? $"+2126{(uint)reference.Aggregate(17, (h, c) => h * 31 + c) % 100_000_000:D8}" : null, NotifyBySms = bySms
            });
            s.Store(new Notices.NoticeLedger { Id = id, Told = new Notices.Itinerary(sailing.SailingId, sailing.DepartureAt, sailing.ArrivalAt, null, null, false, false) });
        }
        return (reference, adults + children);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
