using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace Marhaba.Planning;

/// <summary>
/// Arrivals at one port in one season (calendar year of the port's local days), day by day of the year,
/// in all and per route and direction. One document per port and year, so that a busy day at one port
/// rewrites only that port's figures. Id: "MAPTM:2026".
/// </summary>
public class SeasonTotals
{
    public string Id { get; set; } = "";
    public string Port { get; set; } = "";
    public int Year { get; set; }
    public DailyCounts Arrivals { get; set; } = new();
    public Dictionary<string, DailyCounts> Routes { get; set; } = new();

    public static string Key(string port, int year) => $"{port}:{year}";
    public static string Key(string port, DateTimeOffset at) => Key(port, ReferenceData.Port(port).LocalDay(at).Year);
}

public class DailyCounts
{
    public int[] Passengers { get; set; } = new int[366];
    public int[] Vehicles { get; set; } = new int[366];
    public int[] Crossings { get; set; } = new int[366];

    public void Add(DateOnly day, int passengers, bool vehicle)
    {
        var index = day.DayOfYear - 1;
        Passengers[index] += passengers;
        Crossings[index]++;
        if (vehicle) Vehicles[index]++;
    }

    public Totals UpTo(int dayOfYear) => new(Passengers.Take(dayOfYear).Sum(), Vehicles.Take(dayOfYear).Sum(), Crossings.Take(dayOfYear).Sum());
}

public record Totals(int Passengers, int Vehicles, int Crossings);

public partial class SeasonTotalsProjection : MultiStreamProjection<SeasonTotals, string>
{
    public SeasonTotalsProjection()
    {
        DashboardProjections.Tune(Options);
        Identity<CrossingArrived>(e => SeasonTotals.Key(e.Port, e.ArrivedAt));
    }

    public void Apply(SeasonTotals view, CrossingArrived e)
    {
        var day = ReferenceData.Port(e.Port).LocalDay(e.ArrivedAt);
        (view.Id, view.Port, view.Year) = (SeasonTotals.Key(e.Port, day.Year), e.Port, day.Year);
        view.Arrivals.Add(day, e.Passengers, e.Vehicle is not null);
        var route = $"{e.RouteCode} {e.Direction}";
        (view.Routes.TryGetValue(route, out var counts) ? counts : view.Routes[route] = new DailyCounts()).Add(day, e.Passengers, e.Vehicle is not null);
    }
}

public record SeasonLine(string Key, Totals ToDate, Totals? PreviousSeasonToSameDate, double? ChangePercent);
public record SeasonToDate(int Season, DateOnly AsOf, List<SeasonLine> Ports, List<SeasonLine> Routes);

public static class SeasonEndpoint
{
    /// <summary>The season so far (arrivals up to today) per port and per route and direction, beside the previous season to the same date.</summary>
    [WolverineGet("/api/planning/season", OperationId = "SeasonToDate")]
    [Authorize(Policy = Policies.Planner)]
    public static async Task<SeasonToDate> Get(IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var year = ReferenceData.Home.LocalDay(now).Year;
        var previousYear = year - 1;
        var all = (await session.Query<SeasonTotals>().Where(t => t.Year == year || t.Year == previousYear).ToListAsync(ct)).ToDictionary(t => t.Id);
        var ports = new List<SeasonLine>();
        var routes = new List<SeasonLine>();
        foreach (var port in ReferenceData.Ports)
        {
            // Each port's season runs to its own today.
            var dayOfYear = port.LocalDay(now).DayOfYear;
            var current = all.GetValueOrDefault(SeasonTotals.Key(port.Code, year));
            var previous = all.GetValueOrDefault(SeasonTotals.Key(port.Code, year - 1));
            if (current is null && previous is null) continue;
            ports.AddRange(Lines(new() { [port.Code] = current?.Arrivals ?? new DailyCounts() },
                previous is null ? null : new() { [port.Code] = previous.Arrivals }, dayOfYear));
            routes.AddRange(Lines(current?.Routes ?? [], previous?.Routes, dayOfYear));
        }
        return new SeasonToDate(year, ReferenceData.Home.LocalDay(now), ports, routes.OrderBy(r => r.Key).ToList());
    }

    private static List<SeasonLine> Lines(Dictionary<string, DailyCounts> current, Dictionary<string, DailyCounts>? previous, int dayOfYear) =>
        current.Keys.Union(previous?.Keys ?? Enumerable.Empty<string>()).Order().Select(key =>
        {
            var now = current.GetValueOrDefault(key)?.UpTo(dayOfYear) ?? new Totals(0, 0, 0);
            var before = previous?.GetValueOrDefault(key)?.UpTo(dayOfYear);
            double? change = before is { Passengers: > 0 } ? Math.Round(100.0 * (now.Passengers - before.Passengers) / before.Passengers, 1) : null;
            return new SeasonLine(key, now, before, change);
        }).ToList();
}
