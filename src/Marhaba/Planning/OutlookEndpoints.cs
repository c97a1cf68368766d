using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Planning;

public record DaySummary(DateOnly Day, int SailingsArriving, int ForecastPassengers, int ForecastVehicles, double UtilisationPassengers,
    double UtilisationVehicles, double PeakHourUtilisation, bool Saturated, int MaxExpectedWaitMinutes);

public record PortOverview(string Port, string Name, List<DaySummary> Days);

public record PortDaysOutlook(string Port, ForecastModel Model, List<DayOutlook> Days);

public record PortHoursOutlook(string Port, ForecastModel Model, List<HourOutlook> Hours);

/// <summary>What planners look at: where and when each arrival port saturates in the days ahead, and why.</summary>
public static class OutlookEndpoints
{
    public const int MaxDays = 31, MaxHours = 96;

    /// <summary>Every Moroccan arrival port, the next 14 days: forecast load against processing capacity.</summary>
    [WolverineGet("/api/planning/ports", OperationId = "PlanningOverview")]
    [Authorize(Policy = Policies.Planner)]
    public static async Task<List<PortOverview>> Overview(IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var result = new List<PortOverview>();
        foreach (var port in ReferenceData.Ports.Where(p => p.InMorocco))
        {
            var (days, _) = await OutlookReader.DaysAsync(session, port.Code, OutlookReader.LocalToday(port.Code, now), 14, now, ct);
            result.Add(new PortOverview(port.Code, port.Name, days.Select(d => new DaySummary(d.Day, d.SailingsArriving, d.ForecastPassengers,
                d.ForecastVehicles, d.UtilisationPassengers, d.UtilisationVehicles, d.PeakHourUtilisation, d.Saturated, d.MaxExpectedWaitMinutes)).ToList()));
        }
        return result;
    }

    /// <summary>One port's days (default: today and the 13 after), with their sailings and the forecast's model.</summary>
    [WolverineGet("/api/planning/ports/{port}/days", OperationId = "PlanningPortDays")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<PortDaysOutlook>(200)]
    public static async Task<IResult> Days(string port, string? from, int? days, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        if (!ReferenceData.TryGetPort(port, out var known)) return Problems.BadRequest("port", $"Unknown port '{port}': use one of {ReferenceData.KnownPortCodes}.").ToResult();
        var now = clock.GetUtcNow();
        var first = OutlookReader.LocalToday(known.Code, now);
        if (from is not null && !DateOnly.TryParseExact(from, "yyyy-MM-dd", out first)) return Problems.BadRequest("from", "from must be a date as yyyy-MM-dd.").ToResult();
        if (days is < 1 or > MaxDays) return Problems.BadRequest("days", $"days must be between 1 and {MaxDays}.").ToResult();
        var (outlook, model) = await OutlookReader.DaysAsync(session, known.Code, first, days ?? 14, now, ct);
        return Results.Ok(new PortDaysOutlook(known.Code, model, outlook));
    }

    /// <summary>One port hour by hour (default: the next 48 hours): load, lanes, queue and expected wait.</summary>
    [WolverineGet("/api/planning/ports/{port}/hours", OperationId = "PlanningPortHours")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<PortHoursOutlook>(200)]
    public static async Task<IResult> Hours(string port, DateTimeOffset? from, int? hours, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        if (!ReferenceData.TryGetPort(port, out var known)) return Problems.BadRequest("port", $"Unknown port '{port}': use one of {ReferenceData.KnownPortCodes}.").ToResult();
        if (hours is < 1 or > MaxHours) return Problems.BadRequest("hours", $"hours must be between 1 and {MaxHours}.").ToResult();
        var now = clock.GetUtcNow();
        return Results.Ok(await OutlookReader.HoursAsync(session, known.Code, from ?? now, hours ?? 48, now, ct));
    }

    /// <summary>One sailing's load: capacity, reserved, checked in, aboard, arrived and the forecast with its basis.</summary>
    [WolverineGet("/api/planning/sailings/{sailingId}", OperationId = "PlanningSailing")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingOutlook>(200)]
    public static async Task<IResult> Sailing(Guid sailingId, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var sailing = await session.LoadAsync<Sailing>(sailingId, ct);
        if (sailing is null) return Problems.NotFound($"No sailing {sailingId}.").ToResult();
        var now = clock.GetUtcNow();
        var input = await OutlookReader.ReadAsync(session, sailing.Destination, sailing.ArrivalAt, sailing.ArrivalAt.AddSeconds(1), now, ct);
        return Results.Ok(CapacityOutlook.Sailing(sailing, await session.LoadAsync<SailingLoad>(sailingId, ct), input.Model, now));
    }
}
