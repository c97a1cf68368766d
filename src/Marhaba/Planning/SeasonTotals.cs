using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace Marhaba.Planning;

/// <summary>Arrivals of one season (calendar year), per port and per route and direction, day by day of the year.</summary>
public class SeasonTotals
{
    public string Id { get; set; } = "";
    public Dictionary<string, DailyCounts> Ports { get; set; } = new();
    public Dictionary<string, DailyCounts> Routes { get; set; } = new();

    public static string Key(DateTimeOffset at) => at.UtcDateTime.Year.ToString();
}

public class DailyCounts
{
    public int[] Passengers { get; set; } = new int[366];
    public int[] Vehicles { get; set; } = new int[366];
    public int[] Crossings { get; set; } = new int[366];

    public void Add(DateTimeOffset at, int passengers, bool vehicle)
    {
        var day = at.UtcDateTime.DayOfYear - 1;
        Passengers[day] += passengers;
        Crossings[day]++;
        if (vehicle) Vehicles[day]++;
    }

    public Totals UpTo(int dayOfYear) => new(Passengers.Take(dayOfYear).Sum(), Vehicles.Take(dayOfYear).Sum(), Crossings.Take(dayOfYear).Sum());
}

public record Totals(int Passengers, int Vehicles, int Crossings);

public partial class SeasonTotalsProjection : MultiStreamProjection<SeasonTotals, string>
{
    public SeasonTotalsProjection()
    {
        DashboardProjections.Tune(Options);
        Identity<CrossingArrived>(e => SeasonTotals.Key(e.ArrivedAt));
    }

    public void Apply(SeasonTotals view, CrossingArrived e)
    {
        view.Id = SeasonTotals.Key(e.ArrivedAt);
        Counts(view.Ports, e.Port).Add(e.ArrivedAt, e.Passengers, e.Vehicle is not null);
        Counts(view.Routes, $"{e.RouteCode} {e.Direction}").Add(e.ArrivedAt, e.Passengers, e.Vehicle is not null);
    }

    private static DailyCounts Counts(Dictionary<string, DailyCounts> all, string key) =>
        all.TryGetValue(key, out var counts) ? counts : all[key] = new DailyCounts();
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
        var current = await session.LoadAsync<SeasonTotals>(SeasonTotals.Key(now), ct) ?? new SeasonTotals();
        var previous = await session.LoadAsync<SeasonTotals>((now.Year - 1).ToString(), ct);
        var dayOfYear = now.UtcDateTime.DayOfYear;
        return new SeasonToDate(now.Year, DateOnly.FromDateTime(now.UtcDateTime),
            Lines(current.Ports, previous?.Ports, dayOfYear), Lines(current.Routes, previous?.Routes, dayOfYear));
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
