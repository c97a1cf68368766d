using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Marten;
using JasperFx.Events;

namespace Marhaba.Planning;

/// <summary>
/// Planners set how many passengers and vehicles an hour a port's border police and customs lanes
/// can process, for local hours [FromHour, ToHour) of a day: the whole day, or more lanes at a peak.
/// </summary>
public record PortDayCapacitySet(
    string Port, DateOnly Day, int FromHour, int ToHour, int PassengersPerHour, int VehiclesPerHour,
    string Reason, string SetBy, DateTimeOffset SetAt);

/// <summary>An arrival port's processing capacity on one local day, hour by hour. Stream per port and day.</summary>
public class PortDay
{
    public Guid Id { get; set; }
    public string Port { get; set; } = "";
    public DateOnly Day { get; set; }
    public int[] PassengersPerHour { get; set; } = new int[24];
    public int[] VehiclesPerHour { get; set; } = new int[24];
    public int Changes { get; set; }

    /// <summary>A day nobody planned runs at the port's default capacity.</summary>
    public static PortDay Default(string port, DateOnly day)
    {
        var p = ReferenceData.Port(port);
        return new PortDay
        {
            Id = StreamId(port, day), Port = p.Code, Day = day,
            PassengersPerHour = Enumerable.Repeat(p.PassengersPerHour, 24).ToArray(),
            VehiclesPerHour = Enumerable.Repeat(p.VehiclesPerHour, 24).ToArray()
        };
    }

    public static PortDay Create(PortDayCapacitySet e)
    {
        var day = Default(e.Port, e.Day);
        day.Apply(e);
        return day;
    }

    public void Apply(PortDayCapacitySet e)
    {
        for (var h = e.FromHour; h < e.ToHour; h++)
        {
            PassengersPerHour[h] = e.PassengersPerHour;
            VehiclesPerHour[h] = e.VehiclesPerHour;
        }
        Changes++;
    }

    /// <summary>One stream per port and day, with an id anyone can compute from the two.</summary>
    public static Guid StreamId(string port, DateOnly day) => NamedIds.Of(Namespace, $"{port}:{day:yyyy-MM-dd}");

    private static readonly Guid Namespace = new("3f9e2b71-5c0a-4d8e-b6a4-7e1c9d2f0a53");

    /// <summary>The id a port day's stream had before ids were name-based UUIDs (an MD5 of its name), for <see cref="PortDayIds"/>.</summary>
    public static Guid FormerStreamId(string port, DateOnly day) =>
        new(MD5.HashData(Encoding.UTF8.GetBytes($"port-day:{port}:{day:yyyy-MM-dd}")));
}

public record SetPortDayCapacity(int? PassengersPerHour, int? VehiclesPerHour, int? FromHour, int? ToHour, string? Reason);

public record PortDayView(string Port, DateOnly Day, int[] PassengersPerHour, int[] VehiclesPerHour, bool Planned, List<PortDayCapacitySet> History);

public static class PortDayEndpoints
{
    public const int MaxPerHour = 20_000;

    public static ProblemDetails Validate(string port, string day, SetPortDayCapacity c)
    {
        if (!ReferenceData.TryGetPort(port, out _)) return Problems.BadRequest("port", $"Unknown port '{port}': use one of {ReferenceData.KnownPortCodes}.");
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out _)) return Problems.BadRequest("day", "day must be a date as yyyy-MM-dd.");
        if (c.PassengersPerHour is null or < 0 or > MaxPerHour) return Problems.BadRequest("passengersPerHour", $"passengersPerHour is required, 0 to {MaxPerHour}.");
        if (c.VehiclesPerHour is null or < 0 or > MaxPerHour) return Problems.BadRequest("vehiclesPerHour", $"vehiclesPerHour is required, 0 to {MaxPerHour}.");
        if (c.FromHour is < 0 or > 23) return Problems.BadRequest("fromHour", "fromHour is a local hour, 0 to 23.");
        if (c.ToHour is < 1 or > 24 || (c.ToHour ?? 24) <= (c.FromHour ?? 0)) return Problems.BadRequest("toHour", "toHour is a local hour after fromHour, at most 24.");
        return ChangeReason(c.Reason);
    }

    private static ProblemDetails ChangeReason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) || reason.Length > 200
            ? Problems.BadRequest("reason", "reason is required (e.g. 'four more lanes for the peak'), at most 200 characters.")
            : WolverineContinue.NoProblems;

    /// <summary>The port day the route names, for Wolverine's aggregate workflow to load; none when <see cref="Validate"/> will refuse the route.</summary>
    public static Guid PortDayId(string port, string day) =>
        ReferenceData.TryGetPort(port, out var known) && DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date) ? PortDay.StreamId(known.Code, date) : Aggregates.NoStream;

    /// <summary>Sets a port's processing capacity for a day, or for some of its hours.</summary>
    [WolverinePost("/api/ports/{port}/days/{day}/capacity", OperationId = "SetPortDayCapacity")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<PortDayView>(200)]
    public static async Task<PortDayView> Post(
        string port, string day, SetPortDayCapacity c,
        // Planners of one port rarely race; when they do, the second gets a 409 and sees the first's change.
        [WriteAggregate(Required = false, FromMethod = nameof(PortDayId))] IEventStream<PortDay> stream,
        IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var code = ReferenceData.Port(port.Trim()).Code;
        var date = DateOnly.ParseExact(day, "yyyy-MM-dd");
        var set = new PortDayCapacitySet(code, date, c.FromHour ?? 0, c.ToHour ?? 24, c.PassengersPerHour!.Value, c.VehiclesPerHour!.Value,
            c.Reason!.Trim(), user.StaffId(), clock.GetUtcNow());

        // A day never planned before starts its stream here (the append checks that nobody started it meanwhile).
        stream.AppendOne(set);
        var after = stream.Aggregate is null ? PortDay.Create(set) : await session.AfterAsync(stream.Aggregate, set, ct);
        var history = (await session.Events.FetchStreamAsync(stream.Id, token: ct)).Select(e => e.Data).OfType<PortDayCapacitySet>().Append(set).ToList();
        return new PortDayView(code, date, after.PassengersPerHour, after.VehiclesPerHour, true, history);
    }
}

/// <summary>A planner sets a port's capacity from the dashboard page: through Wolverine, the same rule and event as the API's.</summary>
public record SetPortDayCapacityFromDashboard(string Port, string Day, SetPortDayCapacity Capacity, ClaimsPrincipal Planner);

public static class SetPortDayCapacityFromDashboardHandler
{
    public static async Task<PortDayView> Handle(SetPortDayCapacityFromDashboard command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<PortDay>(PortDayEndpoints.PortDayId(command.Port, command.Day), ct);
        return await PortDayEndpoints.Post(command.Port, command.Day, command.Capacity, stream, session, clock, command.Planner, ct);
    }
}

public static class GetPortDayEndpoint
{
    /// <summary>A port's processing capacity on a day, with who changed what and when.</summary>
    [WolverineGet("/api/ports/{port}/days/{day}/capacity", OperationId = "GetPortDayCapacity")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<PortDayView>(200)]
    public static async Task<IResult> Get(string port, string day, IQuerySession session, CancellationToken ct)
    {
        if (!ReferenceData.TryGetPort(port, out var known)) return Problems.BadRequest("port", $"Unknown port '{port}'.").ToResult();
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date)) return Problems.BadRequest("day", "day must be a date as yyyy-MM-dd.").ToResult();
        var id = PortDay.StreamId(known.Code, date);
        var planned = await session.LoadAsync<PortDay>(id, ct);
        var history = (await session.Events.FetchStreamAsync(id, token: ct)).Select(e => e.Data).OfType<PortDayCapacitySet>().ToList();
        var view = planned ?? PortDay.Default(known.Code, date);
        return Results.Ok(new PortDayView(known.Code, date, view.PassengersPerHour, view.VehiclesPerHour, planned is not null, history));
    }
}
