using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Http.Marten;

namespace Marhaba.Sailings;

public record SailingSummary(
    Guid Id, string RouteCode, Direction Direction, string Origin, string Destination, string Operator, string Vessel,
    DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, int PassengerCapacity, int ReservedPassengers,
    int VehicleLaneMetres, int ReservedLaneMetres, int Crossings, SailingStatus Status, string? StatusReason);

public static class ListSailingsEndpoint
{
    /// <summary>Sailings departing in a window (default: the next 7 days), optionally of one route or from one port.</summary>
    [WolverineGet("/api/sailings", OperationId = "ListSailings")]
    [Authorize(Policy = Policies.Staff)]
    [ProducesResponseType<List<SailingSummary>>(200)]
    public static async Task<IResult> Get(string? route, string? from, DateTimeOffset? after, DateTimeOffset? before,
        IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        if (route is not null && !ReferenceData.TryGetRoute(route, out _))
            return Problems.BadRequest("route", $"Unknown route '{route}': use one of {ReferenceData.KnownRouteCodes}.").ToResult();
        if (from is not null && !ReferenceData.TryGetPort(from, out _))
            return Problems.BadRequest("from", $"Unknown port '{from}'.").ToResult();
        var start = after ?? clock.GetUtcNow().AddDays(-1);
        var end = before ?? start.AddDays(8);
        if (end < start || end - start > TimeSpan.FromDays(62))
            return Problems.BadRequest("before", "The window must run forwards and span at most 62 days.").ToResult();

        var query = session.Query<Sailing>().Where(s => s.DepartureAt >= start && s.DepartureAt < end);
        if (route is not null) { var r = route.ToUpperInvariant(); query = query.Where(s => s.RouteCode == r); }
        if (from is not null) { var f = from.ToUpperInvariant(); query = query.Where(s => s.Origin == f); }
        var sailings = await query.OrderBy(s => s.DepartureAt).Take(500).ToListAsync(ct);
        return Results.Ok(sailings.Select(Summary).ToList());
    }

    [WolverineGet("/api/sailings/{sailingId}", OperationId = "GetSailing")]
    [Authorize(Policy = Policies.Staff)]
    public static SailingSummary GetOne([Document("sailingId")] Sailing sailing) => Summary(sailing);

    public static SailingSummary Summary(Sailing s) => new(
        s.Id, s.RouteCode, s.Direction, s.Origin, s.Destination, s.Operator, s.Vessel, s.DepartureAt, s.ArrivalAt,
        s.PassengerCapacity, s.ReservedPassengers, s.VehicleLaneMetres, s.ReservedLaneMetres, s.Crossings, s.Status, s.StatusReason);
}
