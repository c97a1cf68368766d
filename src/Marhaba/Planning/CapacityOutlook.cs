using Marhaba.Ports;
using Marhaba.Sailings;

namespace Marhaba.Planning;

public record SailingOutlook(
    Guid SailingId, string RouteCode, string Vessel, string Origin, SailingStatus Status, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt,
    int PassengerCapacity, int ReservedPassengers, int ReservedVehicles, int CheckedInPassengers, int EmbarkedPassengers,
    int ArrivedPassengers, int LeadDays, double UpliftUsed, int ForecastPassengers, int ForecastVehicles, string ForecastBasis);

public record HourOutlook(
    DateTimeOffset StartsAt, int LocalHour, int SailingsArriving, int ForecastPassengers, int ForecastVehicles,
    int ProcessingPassengers, int ProcessingVehicles, int BacklogPassengers, int BacklogVehicles,
    int ExpectedWaitMinutes, bool Saturated);

public record DayOutlook(
    string Port, DateOnly Day, int SailingsArriving, int CapacityPassengers, int CapacityLaneMetres,
    int ReservedPassengers, int ReservedVehicles, int CheckedInPassengers, int CheckedInVehicles,
    int ArrivedPassengers, int ArrivedVehicles, int ForecastPassengers, int ForecastVehicles,
    int ProcessingPassengers, int ProcessingVehicles, double UtilisationPassengers, double UtilisationVehicles,
    double PeakHourUtilisation, bool Saturated, int SaturatedHours, int MaxExpectedWaitMinutes,
    ForecastRecord? ForecastBeforeTheDay, List<SailingOutlook> Sailings);

/// <summary>Everything needed to compute a port's outlook, read from the projections.</summary>
public record OutlookInputs(
    string Port, IReadOnlyList<Sailing> Sailings, IReadOnlyDictionary<Guid, SailingLoad> Loads,
    IReadOnlyDictionary<DateOnly, PortDay> PortDays, ForecastModel Model, DateTimeOffset Now);

/// <summary>
/// The planners' outlook of an arrival port, as a pure computation. Each sailing's forecast load
/// reaches the border lanes over the two hours after it berths (half in each: disembarking a ferry
/// takes about that long). Hour by hour, what the lanes cannot process queues into the next hour;
/// an hour is saturated when more arrives than its lanes can process, and the expected wait is the
/// queue left at the end of the hour divided by the lanes' hourly capacity.
/// </summary>
public static class CapacityOutlook
{
    public const int DisembarkHours = 2;

    public static SailingOutlook Sailing(Sailing s, SailingLoad? load, ForecastModel model, DateTimeOffset now)
    {
        var lead = SailingLoad.LeadDays(now, s.DepartureAt);
        var reservedVehicles = load?.BookedVehicles ?? 0;
        int passengers, vehicles;
        string basis;
        if (s.Status is SailingStatus.Departed or SailingStatus.Arrived && load is { EmbarkedPassengers: > 0 })
        {
            (passengers, vehicles, basis) = (load.EmbarkedPassengers, load.EmbarkedVehicles, "counted aboard at departure");
        }
        else if (s.DepartureAt <= now && load is { CheckedInPassengers: > 0 })
        {
            (passengers, vehicles, basis) = (load.CheckedInPassengers, load.CheckedInVehicles, "checked in at the departure port");
        }
        else
        {
            passengers = model.Forecast(s.ReservedPassengers, lead, s.PassengerCapacity);
            vehicles = model.Forecast(reservedVehicles, lead, int.MaxValue);
            basis = $"reserved × {model.Uplift(lead):0.###} (late bookings, {lead} days ahead) × {1 - model.NoShowRate:0.###} (no-shows)";
        }
        return new SailingOutlook(s.Id, s.RouteCode, s.Vessel, s.Origin, s.Status, s.DepartureAt, s.ArrivalAt, s.PassengerCapacity,
            s.ReservedPassengers, reservedVehicles, load?.CheckedInPassengers ?? 0, load?.EmbarkedPassengers ?? 0,
            load?.ArrivedPassengers ?? 0, lead, model.Uplift(lead), passengers, vehicles, basis);
    }

    /// <summary>The hours from <paramref name="from"/> (a UTC hour start) for <paramref name="hours"/> hours, with the queue carried from one to the next.</summary>
    public static List<HourOutlook> Hours(OutlookInputs input, DateTimeOffset from, int hours)
    {
        var zone = ReferenceData.Port(input.Port).Zone;
        var passengersIn = new double[hours];
        var vehiclesIn = new double[hours];
        var arriving = new int[hours];
        foreach (var s in input.Sailings)
        {
            var o = Sailing(s, input.Loads.GetValueOrDefault(s.Id), input.Model, input.Now);
            var first = (int)Math.Floor((s.ArrivalAt - from).TotalHours);
            if (first >= 0 && first < hours) arriving[first]++;
            for (var k = 0; k < DisembarkHours; k++)
            {
                var h = first + k;
                if (h < 0 || h >= hours) continue;
                passengersIn[h] += (double)o.ForecastPassengers / DisembarkHours;
                vehiclesIn[h] += (double)o.ForecastVehicles / DisembarkHours;
            }
        }

        var result = new List<HourOutlook>(hours);
        double backlogPassengers = 0, backlogVehicles = 0;
        for (var h = 0; h < hours; h++)
        {
            var start = from.AddHours(h);
            var local = TimeZoneInfo.ConvertTime(start, zone);
            var day = DateOnly.FromDateTime(local.DateTime);
            var portDay = input.PortDays.GetValueOrDefault(day) ?? PortDay.Default(input.Port, day);
            var capPassengers = portDay.PassengersPerHour[local.Hour];
            var capVehicles = portDay.VehiclesPerHour[local.Hour];
            var saturated = passengersIn[h] > capPassengers || vehiclesIn[h] > capVehicles;
            backlogPassengers = Math.Max(0, backlogPassengers + passengersIn[h] - capPassengers);
            backlogVehicles = Math.Max(0, backlogVehicles + vehiclesIn[h] - capVehicles);
            var wait = Math.Max(Minutes(backlogPassengers, capPassengers), Minutes(backlogVehicles, capVehicles));
            result.Add(new HourOutlook(start, local.Hour, arriving[h], (int)Math.Round(passengersIn[h]), (int)Math.Round(vehiclesIn[h]),
                capPassengers, capVehicles, (int)Math.Round(backlogPassengers), (int)Math.Round(backlogVehicles), wait, saturated));
        }
        return result;

        static int Minutes(double backlog, int perHour) =>
            backlog <= 0 ? 0 : perHour <= 0 ? 24 * 60 : (int)Math.Round(backlog / perHour * 60);
    }

    /// <summary>Local days of the port, each summed from its hours and its arriving sailings.</summary>
    public static List<DayOutlook> Days(OutlookInputs input, DateOnly firstDay, int days, IReadOnlyDictionary<DateOnly, ForecastRecord> records)
    {
        var zone = ReferenceData.Port(input.Port).Zone;
        var start = LocalMidnight(firstDay, zone);
        // Start the queue a few hours earlier, so that a backlog from the evening before is carried in.
        const int leadIn = 6;
        var hours = Hours(input, start.AddHours(-leadIn), days * 24 + leadIn + 2).Skip(leadIn).ToList();

        var result = new List<DayOutlook>(days);
        for (var d = 0; d < days; d++)
        {
            var day = firstDay.AddDays(d);
            var dayHours = hours.Where(h => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(h.StartsAt, zone).DateTime) == day).ToList();
            var sailings = input.Sailings
                .Where(s => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(s.ArrivalAt, zone).DateTime) == day)
                .OrderBy(s => s.ArrivalAt)
                .Select(s => Sailing(s, input.Loads.GetValueOrDefault(s.Id), input.Model, input.Now)).ToList();
            var processingPassengers = dayHours.Sum(h => h.ProcessingPassengers);
            var processingVehicles = dayHours.Sum(h => h.ProcessingVehicles);
            var forecastPassengers = sailings.Sum(s => s.ForecastPassengers);
            var forecastVehicles = sailings.Sum(s => s.ForecastVehicles);
            result.Add(new DayOutlook(
                input.Port, day, sailings.Count,
                sailings.Sum(s => s.PassengerCapacity), input.Sailings.Where(s => sailings.Any(o => o.SailingId == s.Id)).Sum(s => s.VehicleLaneMetres),
                sailings.Sum(s => s.ReservedPassengers), sailings.Sum(s => s.ReservedVehicles),
                sailings.Sum(s => s.CheckedInPassengers), sailings.Sum(s => input.Loads.GetValueOrDefault(s.SailingId)?.CheckedInVehicles ?? 0),
                sailings.Sum(s => s.ArrivedPassengers), sailings.Sum(s => input.Loads.GetValueOrDefault(s.SailingId)?.ArrivedVehicles ?? 0),
                forecastPassengers, forecastVehicles, processingPassengers, processingVehicles,
                Ratio(forecastPassengers, processingPassengers), Ratio(forecastVehicles, processingVehicles),
                dayHours.Count == 0 ? 0 : dayHours.Max(h => Math.Max(Ratio(h.ForecastPassengers, h.ProcessingPassengers), Ratio(h.ForecastVehicles, h.ProcessingVehicles))),
                dayHours.Any(h => h.Saturated), dayHours.Count(h => h.Saturated), dayHours.Count == 0 ? 0 : dayHours.Max(h => h.ExpectedWaitMinutes),
                records.GetValueOrDefault(day), sailings));
        }
        return result;

        static double Ratio(int load, int capacity) => Math.Round((double)load / Math.Max(capacity, 1), 3);
    }

    public static DateTimeOffset LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
