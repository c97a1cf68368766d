using Marhaba.Assistance;
using Marhaba.Ports;
using Marhaba.Sailings;

namespace Marhaba.Simulator;

/// <summary>
/// The facts a season is generated from: published figures of the 2025 operation unless said otherwise.
/// Scale 1.0 is the 2025 season at the Moroccan ports: 3.2 million passengers and 739,000 vehicles,
/// both directions (Transport Ministry), by port as published; 88,441 assistance cases for
/// ~4.06 million travellers (FM5), 20,712 administrative/customs, 7,602 medical, 1,592 transport.
/// </summary>
public static class SeasonFacts
{
    public const int Passengers2025 = 3_200_000;
    public const int Vehicles2025 = 739_000;
    public const int AssistanceCases2025 = 88_441;
    public const int FoundationTravellers2025 = 4_060_000;

    /// <summary>2025 passengers and vehicles by Moroccan port (Ministry; shares 56/24/19/2 % and 63/16/20/1 %).</summary>
    public static readonly (string Port, int Passengers, int Vehicles)[] Ports2025 =
    [
        ("MAPTM", 1_800_000, 463_000), ("MATNG", 750_000, 117_000), ("MANDR", 617_000, 148_000), ("MAAHU", 48_000, 11_000),
    ];

    /// <summary>
    /// Lines of the 2025 network: sailings per day each way, ship capacity (passengers, lane-metres), and the
    /// share of their Moroccan port's traffic. Frequencies and splits are estimates consistent with the
    /// published figures (&gt;500 sailings a week, Tarifa–Tanger Ville 4 a day by Baleària, GNV Victory
    /// 1,200 passengers and 1,800 lane-metres, Nissos Chios 1,400 passengers and 425 vehicles).
    /// </summary>
    public static readonly (string Route, double PerDay, int Passengers, int LaneMetres, double ShareOfPort)[] Lines =
    [
        ("ESALG-MAPTM", 22, 1000, 1250, 0.80),
        ("ESMOT-MAPTM", 1, 1000, 1400, 0.03),
        ("ESBCN-MAPTM", 0.5, 1200, 1800, 0.04),
        ("ITGOA-MAPTM", 0.5, 1200, 1800, 0.05),
        ("ITSVN-MAPTM", 0.3, 1000, 1600, 0.03),
        ("ITCVV-MAPTM", 0.15, 1200, 1800, 0.01),
        ("FRSET-MAPTM", 0.3, 1000, 1500, 0.02),
        ("FRMRS-MAPTM", 0.3, 1000, 1400, 0.02),
        ("ESTAR-MATNG", 9, 800, 600, 1.00),
        ("ESLEI-MANDR", 5, 1400, 2125, 0.75),
        ("ESMOT-MANDR", 1, 1000, 1400, 0.10),
        ("FRSET-MANDR", 0.5, 1000, 1500, 0.15),
        ("ESMOT-MAAHU", 1, 900, 1000, 1.00),
    ];

    /// <summary>FM5 counts 4.06 M arrivals against 3.51 M departures (2024 ratio): a little more than half go home.</summary>
    public const double InboundShare = 0.53;

    /// <summary>Persons in a party travelling with a vehicle, and on foot (estimates).</summary>
    public const double PartyWithVehicle = 3.2, PartyOnFoot = 1.4;

    /// <summary>Requests per traveller, and the 2025 mix (the remainder of the cases spread over the other kinds).</summary>
    public static readonly (AssistanceCategory Category, double Share)[] AssistanceMix =
    [
        (AssistanceCategory.AdministrativeAndCustoms, 20_712.0 / AssistanceCases2025),
        (AssistanceCategory.Medical, 7_602.0 / AssistanceCases2025),
        (AssistanceCategory.VehicleBreakdown, 1_592.0 / AssistanceCases2025),
        (AssistanceCategory.Information, 0.40),
        (AssistanceCategory.LostDocuments, 0.09),
        (AssistanceCategory.SocialOrFamily, 0.081),
        (AssistanceCategory.DeathAndRepatriation, 0.002),
    ];

    /// <summary>Eid al-Adha, the first arrival peak, by year.</summary>
    public static DateOnly? EidAlAdha(int year) => year switch
    {
        2024 => new DateOnly(2024, 6, 16), 2025 => new DateOnly(2025, 6, 6), 2026 => new DateOnly(2026, 5, 27),
        2027 => new DateOnly(2027, 5, 16), 2028 => new DateOnly(2028, 5, 5), _ => null
    };

    /// <summary>
    /// Room added to every sailing for the reinforcement ships the fleet plan puts on at the peaks (an
    /// estimate: the published weekly capacity alone would leave most of the peak days' travellers ashore).
    /// </summary>
    public const double Reinforcement = 1.6;

    public const double NoShowRate = 0.03, LateBookingRate = 0.2, DelayRate = 0.04, CancellationRate = 0.004;
}

public sealed record PlannedSailing(int Index, string Route, Direction Direction, string Origin, string Destination, DateTimeOffset DepartureAt,
    DateTimeOffset ArrivalAt, string Operator, string Vessel, int Passengers, int LaneMetres)
{
    public bool Italian => Origin.StartsWith("IT") || Destination.StartsWith("IT");
}

public sealed record PlannedParty(int Index, int Sailing, DateTimeOffset BookAt, int Adults, int Children, VehicleKind? Vehicle,
    bool NoShow, AssistanceCategory? Assistance, Urgency Urgency, Language Language)
{
    public int Persons => Adults + Children;
}

/// <summary>A whole season, drawn from <see cref="SeasonFacts"/> with a seed: the same seed gives the same season.</summary>
public sealed class SeasonPlan
{
    public required DateOnly From { get; init; }
    public required DateOnly To { get; init; }
    public required double Scale { get; init; }
    public required List<PlannedSailing> Sailings { get; init; }
    public required List<PlannedParty> Parties { get; init; }
    public required HashSet<int> Delayed { get; init; }
    public required HashSet<int> Cancelled { get; init; }
    /// <summary>Each line's sailings (ascending indexes into <see cref="Sailings"/>, so in departure order), by route and direction.</summary>
    public required Dictionary<(string Route, Direction Direction), List<int>> ByLine { get; init; }

    public DateTimeOffset Start => new(From.AddDays(-3).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    public DateTimeOffset End => new(To.AddDays(3).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>How many travellers go each way on a day, relative to the season's average day.</summary>
    public static double Weight(Direction direction, DateOnly day)
    {
        static double Bump(DateOnly day, DateOnly centre, double width) => Math.Exp(-Math.Pow(day.DayNumber - centre.DayNumber, 2) / (2 * width * width));
        var year = day.Year;
        if (direction == Direction.Inbound)
        {
            // Homeward from the start, around Eid al-Adha, and most of all in late July and early August; few after 15 August.
            var eid = SeasonFacts.EidAlAdha(year) is { } e ? 1.5 * Bump(day, e, 4) : 0;
            var summer = 2.5 * Bump(day, new DateOnly(year, 7, 31), 9);
            var tail = day > new DateOnly(year, 8, 15) ? 0.25 : 1;
            return (0.6 + eid + summer) * tail;
        }
        // Back to Europe: a trickle in June, more from mid-July, the peak over the last ten days of August.
        var back = 4 * Bump(day, new DateOnly(year, 8, 26), 6);
        var ramp = day < new DateOnly(year, 7, 15) ? 0.15 : 0.6;
        return ramp + back;
    }

    public static SeasonPlan Generate(int year, double scale, int seed, DateOnly? from = null, DateOnly? to = null)
    {
        var random = new Random(seed);
        // The operation runs 10 June to 15 September (2025); a shorter window carries only its own days' share of the season.
        var (seasonStart, seasonEnd) = (new DateOnly(year, 6, 10), new DateOnly(year, 9, 15));
        var start = from ?? seasonStart;
        var end = to ?? seasonEnd;
        var sailings = new List<PlannedSailing>();
        var byLine = new Dictionary<(string Route, Direction Direction), List<int>>();

        // The fleet plan: each line's sailings at even gaps; ship sizes scaled with the traffic (and reinforced) so load factors hold.
        foreach (var (code, perDay, passengers, laneMetres, _) in SeasonFacts.Lines)
        {
            var route = ReferenceData.Route(code);
            foreach (var direction in Enum.GetValues<Direction>())
            {
                var list = byLine[(code, direction)] = [];
                var gap = TimeSpan.FromHours(24 / perDay);
                var first = new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddHours(5 + random.NextDouble() * Math.Min(24, gap.TotalHours));
                for (var at = first; at < new DateTimeOffset(end.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero); at += gap)
                {
                    var (origin, destination) = direction == Direction.Inbound ? (route.EuropeanPort, route.MoroccanPort) : (route.MoroccanPort, route.EuropeanPort);
                    var departure = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute / 15 * 15, 0, TimeSpan.Zero);
                    list.Add(sailings.Count);
                    sailings.Add(new PlannedSailing(sailings.Count, code, direction, origin, destination, departure, departure + route.TypicalDuration,
                        route.Operators[random.Next(route.Operators.Length)], $"{route.Operators[0]} {code[..2]}{list.Count % 9 + 1}",
                        Math.Max(4, (int)Math.Round(passengers * scale * SeasonFacts.Reinforcement)),
                        Math.Max(20, (int)Math.Round(laneMetres * scale * SeasonFacts.Reinforcement))));
                }
            }
        }

        // Travellers: each port's 2025 passengers and vehicles, split by line and direction, spread over the days by the curve.
        var days = Enumerable.Range(0, end.DayNumber - start.DayNumber + 1).Select(start.AddDays).ToList();
        var parties = new List<PlannedParty>();
        var assistanceRate = (double)SeasonFacts.AssistanceCases2025 / SeasonFacts.FoundationTravellers2025;
        foreach (var (port, portPassengers, portVehicles) in SeasonFacts.Ports2025)
        foreach (var (code, _, _, _, share) in SeasonFacts.Lines.Where(l => ReferenceData.Route(l.Route).MoroccanPort == port))
        foreach (var direction in Enum.GetValues<Direction>())
        {
            var directionShare = direction == Direction.Inbound ? SeasonFacts.InboundShare : 1 - SeasonFacts.InboundShare;
            var vehicles = portVehicles * share * directionShare * scale;
            var onFoot = Math.Max(0, portPassengers * share * directionShare * scale - vehicles * SeasonFacts.PartyWithVehicle) / SeasonFacts.PartyOnFoot;
            var weights = days.Select(d => Weight(direction, d)).ToList();
            var total = Enumerable.Range(0, seasonEnd.DayNumber - seasonStart.DayNumber + 1).Sum(d => Weight(direction, seasonStart.AddDays(d)));
            var line = byLine[(code, direction)];
            var carry = 0.0;
            for (var d = 0; d < days.Count; d++)
            {
                carry += (vehicles + onFoot) * weights[d] / total;
                var dayStart = new DateTimeOffset(days[d].ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
                var ofDay = line.Where(i => sailings[i].DepartureAt >= dayStart && sailings[i].DepartureAt < dayStart.AddDays(1)).ToList();
                if (ofDay.Count == 0) ofDay = line.Where(i => sailings[i].DepartureAt >= dayStart).Take(1).ToList();
                for (; carry >= 1 && ofDay.Count > 0; carry--)
                {
                    var sailing = sailings[ofDay[random.Next(ofDay.Count)]];
                    var withVehicle = random.NextDouble() < vehicles / (vehicles + onFoot);
                    var persons = withVehicle ? 1 + Poisson(random, SeasonFacts.PartyWithVehicle - 1) : 1 + Poisson(random, SeasonFacts.PartyOnFoot - 1);
                    var adults = Math.Clamp((int)Math.Ceiling(persons * 0.6), 1, 20);
                    var lead = random.NextDouble() < SeasonFacts.LateBookingRate ? TimeSpan.FromHours(random.Next(3, 48)) : TimeSpan.FromDays(random.Next(2, 40));
                    var bookAt = sailing.DepartureAt - lead;
                    AssistanceCategory? needs = random.NextDouble() < assistanceRate * persons ? Pick(random, SeasonFacts.AssistanceMix) : null;
                    parties.Add(new PlannedParty(parties.Count, sailing.Index, bookAt, adults, Math.Min(20, persons - adults),
                        withVehicle ? Vehicle(random) : null, random.NextDouble() < SeasonFacts.NoShowRate, needs,
                        needs == AssistanceCategory.Medical && random.NextDouble() < 0.2 ? Urgency.Critical : random.NextDouble() < 0.15 ? Urgency.High : Urgency.Normal,
                        (Language)random.Next(4)));
                }
            }
        }

        var delayed = sailings.Where(_ => random.NextDouble() < SeasonFacts.DelayRate).Select(s => s.Index).ToHashSet();
        var cancelled = sailings.Where(s => !delayed.Contains(s.Index) && random.NextDouble() < SeasonFacts.CancellationRate).Select(s => s.Index).ToHashSet();
        return new SeasonPlan
        {
            From = start, To = end, Scale = scale, Sailings = sailings,
            // In booking order, numbered in that order: a party's number is its place in the list.
            Parties = [.. parties.OrderBy(p => p.BookAt).Select((p, i) => p with { Index = i })],
            Delayed = delayed, Cancelled = cancelled, ByLine = byLine
        };
    }

    private static VehicleKind Vehicle(Random r) => r.NextDouble() switch
    {
        < 0.74 => VehicleKind.Car, < 0.86 => VehicleKind.Van, < 0.92 => VehicleKind.Camper, < 0.97 => VehicleKind.CarWithTrailer, _ => VehicleKind.Motorbike
    };

    private static T Pick<T>(Random r, (T Item, double Share)[] shares)
    {
        var x = r.NextDouble() * shares.Sum(s => s.Share);
        foreach (var (item, share) in shares)
            if ((x -= share) < 0) return item;
        return shares[^1].Item;
    }

    private static int Poisson(Random r, double mean)
    {
        var (limit, k, p) = (Math.Exp(-mean), 0, 1.0);
        while ((p *= r.NextDouble()) > limit) k++;
        return k;
    }
}
