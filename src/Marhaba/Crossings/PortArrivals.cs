using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>
/// One port's arrivals and clearances on one local day, with hourly buckets (local hours of the port).
/// Id: "MAPTM:2026-07-28".
/// </summary>
public class PortArrivals
{
    public string Id { get; set; } = "";
    public string Port { get; set; } = "";
    public DateOnly Day { get; set; }
    public int Crossings { get; set; }
    public int Passengers { get; set; }
    public int Vehicles { get; set; }
    public int Cleared { get; set; }
    public int[] CrossingsByHour { get; set; } = new int[24];
    public int[] PassengersByHour { get; set; } = new int[24];
    public int[] VehiclesByHour { get; set; } = new int[24];
    public int[] ClearedByHour { get; set; } = new int[24];

    public static string Key(string port, DateTimeOffset at) => $"{port}:{ReferenceData.Port(port).LocalDay(at):yyyy-MM-dd}";
    public static DateTimeOffset Local(string port, DateTimeOffset at) => ReferenceData.Port(port).Local(at);
}

/// <summary>Asynchronous: the daily figures may trail the arrivals by a moment, never the quay.</summary>
public partial class PortArrivalsProjection : MultiStreamProjection<PortArrivals, string>
{
    public PortArrivalsProjection()
    {
        DashboardProjections.Tune(Options);
        Identity<CrossingArrived>(e => PortArrivals.Key(e.Port, e.ArrivedAt));
        Identity<CrossingCleared>(e => PortArrivals.Key(e.Port, e.ClearedAt));
    }

    public void Apply(PortArrivals view, CrossingArrived e)
    {
        Init(view, e.Port, e.ArrivedAt);
        var hour = PortArrivals.Local(e.Port, e.ArrivedAt).Hour;
        view.Crossings++;
        view.Passengers += e.Passengers;
        view.CrossingsByHour[hour]++;
        view.PassengersByHour[hour] += e.Passengers;
        if (e.Vehicle is null) return;
        view.Vehicles++;
        view.VehiclesByHour[hour]++;
    }

    public void Apply(PortArrivals view, CrossingCleared e)
    {
        Init(view, e.Port, e.ClearedAt);
        view.Cleared++;
        view.ClearedByHour[PortArrivals.Local(e.Port, e.ClearedAt).Hour]++;
    }

    private static void Init(PortArrivals view, string port, DateTimeOffset at)
    {
        view.Port = port;
        view.Day = ReferenceData.Port(port).LocalDay(at);
    }
}

public static class PortArrivalsEndpoint
{
    /// <summary>Arrivals at a port on a local day, hour by hour.</summary>
    [WolverineGet("/api/ports/{port}/arrivals/{day}", OperationId = "PortArrivalsOfDay")]
    [Authorize(Policy = Policies.Staff)]
    [ProducesResponseType<PortArrivals>(200)]
    [ProducesResponseType<ProblemDetails>(400)]
    public static async Task<IResult> Get(string port, string day, IQuerySession session, CancellationToken ct)
    {
        if (!ReferenceData.TryGetPort(port, out var known))
            return Problems.BadRequest("port", $"Unknown port '{port}': use one of {ReferenceData.KnownPortCodes}.").ToResult();
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date))
            return Problems.BadRequest("day", "day must be a date as yyyy-MM-dd.").ToResult();
        var id = $"{known.Code}:{date:yyyy-MM-dd}";
        return Results.Ok(await session.LoadAsync<PortArrivals>(id, ct) ?? new PortArrivals { Id = id, Port = known.Code, Day = date });
    }
}
