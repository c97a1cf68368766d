using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>A crossing as the quay desk shows it: who, which ship, where it stands and the step this port records next.</summary>
public record DeskCrossing(
    Guid CrossingId, string BookingReference, string? Plate, Guid SailingId, string Vessel, string Origin, string Destination,
    DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, int Passengers, VehicleKind? Vehicle, CrossingStatus Status, DeskStep? NextStep);

/// <summary>
/// A sailing through the desk's port, with its crossings counted by step (and listed, on its own screen); its times as
/// they now stand and as first published, so that a delay reads "was 14:00, now 16:10".
/// </summary>
public record DeskSailing(
    Guid SailingId, string Vessel, string Operator, string Origin, string Destination, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt,
    DateTimeOffset ScheduledDepartureAt, DateTimeOffset ScheduledArrivalAt, SailingStatus Status, bool DepartsHere, int Expected, int CheckedIn, int Aboard, int Arrived, int Cleared, List<DeskCrossing> Crossings);

/// <summary>What the quay desk reads: crossings found as staff type, the day's sailings, one sailing's list.</summary>
public static class QuayDeskEndpoints
{
    public const int MaxMatches = 8;

    /// <summary>The instant with the offset of the port it happens at: the desk shows it as written, whatever the tablet's zone (or its browser's zone rules).</summary>
    private static DateTimeOffset Local(DateTimeOffset at, string port) => ReferenceData.Port(port).Local(at);

    public static ProblemDetails Validate(string port, ClaimsPrincipal user) => PortDesk.CheckPort(port, user);

    /// <summary>Live crossings through the port whose booking reference starts with, or whose plate is, what was typed.</summary>
    [WolverineGet("/api/ports/{port}/desk/crossings", OperationId = "DeskFindCrossings")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<List<DeskCrossing>>(200)]
    public static async Task<IResult> Find(string port, string? q, IQuerySession session, CancellationToken ct)
    {
        port = PortDesk.Normalised(port);
        var typed = new string((q ?? "").Where(char.IsAsciiLetterOrDigit).ToArray()).ToUpperInvariant();
        if (typed.Length is < 2 or > 20)
            return Problems.BadRequest("q", "q is 2 to 20 letters and digits: the start of a booking reference, or a plate.").ToResult();

        var ids = new List<Guid>();
        if (Plates.Normalise(typed) is { } plate)
            ids.AddRange(await session.Query<CrossingVehicle>().Where(v => v.Plate == plate).Select(v => v.Id).Take(50).ToListAsync(ct));
        var found = ids.Count > 0 ? (await session.LoadManyAsync<Crossing>(ct, ids)).ToList() : [];
        var referenceStart = typed.StartsWith("MRH") ? "MRH-" + typed[3..] : "MRH-" + typed;
        if (typed.Length >= 4)
            found.AddRange(await session.Query<Crossing>()
                .Where(c => c.BookingReference.StartsWith(referenceStart) && (c.Origin == port || c.Destination == port)
                            && c.Status != CrossingStatus.Cancelled && c.Status != CrossingStatus.NoShow && c.Status != CrossingStatus.Completed)
                .OrderBy(c => c.BookingReference).Take(MaxMatches).ToListAsync(ct));
        var live = found.Where(c => !c.IsOver && (c.Origin == port || c.Destination == port)).DistinctBy(c => c.Id).Take(MaxMatches).ToList();
        return Results.Ok(await ViewAsync(session, port, live, ct));
    }

    /// <summary>The ships the desk works today: departing or arriving from 12 hours ago to 24 hours ahead, and those at sea towards it.</summary>
    [WolverineGet("/api/ports/{port}/desk/sailings", OperationId = "DeskSailings")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<List<DeskSailing>>(200)]
    public static async Task<IResult> Sailings(string port, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        port = PortDesk.Normalised(port);
        var now = clock.GetUtcNow();
        var (from, to) = (now.AddHours(-12), now.AddHours(24));
        var sailings = await session.Query<Sailing>()
            .Where(s => (s.Origin == port && s.DepartureAt >= from && s.DepartureAt < to)
                || (s.Destination == port && s.ArrivalAt >= from && (s.ArrivalAt < to || s.Status == SailingStatus.Departed)))
            .Take(200).ToListAsync(ct);
        var ids = sailings.Select(s => s.Id).ToArray();
        var crossings = (await session.Query<Crossing>().Where(c => c.SailingId.IsOneOf(ids)).ToListAsync(ct)).ToLookup(c => c.SailingId);
        return Results.Ok(sailings
            .OrderBy(s => s.Origin == port ? s.DepartureAt : s.ArrivalAt)
            .Select(s => Summary(s, port, crossings[s.Id], []))
            .ToList());
    }

    /// <summary>One sailing's crossings as the desk works them, each with the step it needs here.</summary>
    [WolverineGet("/api/ports/{port}/desk/sailings/{sailingId}", OperationId = "DeskSailing")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<DeskSailing>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Sailing(string port, Guid sailingId, IQuerySession session, CancellationToken ct)
    {
        port = PortDesk.Normalised(port);
        var sailing = await session.LoadAsync<Sailing>(sailingId, ct);
        if (sailing is null || (sailing.Origin != port && sailing.Destination != port))
            return Problems.NotFound($"No sailing {sailingId} through {port}.").ToResult();
        var crossings = await session.Query<Crossing>().Where(c => c.SailingId == sailingId).ToListAsync(ct);
        var views = await ViewAsync(session, port, crossings.Where(c => !c.IsOver).OrderBy(c => c.BookingReference).ToList(), ct, sailing);
        return Results.Ok(Summary(sailing, port, crossings, views));
    }

    private static DeskSailing Summary(Sailing s, string port, IEnumerable<Crossing> crossings, List<DeskCrossing> listed)
    {
        var live = crossings.Where(c => c.Status is not (CrossingStatus.Cancelled or CrossingStatus.NoShow)).ToList();
        int Count(params CrossingStatus[] statuses) => live.Count(c => statuses.Contains(c.Status));
        return new DeskSailing(s.Id, s.Vessel, s.Operator, s.Origin, s.Destination, Local(s.DepartureAt, s.Origin), Local(s.ArrivalAt, s.Destination),
            Local(s.ScheduledDepartureAt, s.Origin), Local(s.ScheduledArrivalAt, s.Destination), s.Status, s.Origin == port,
            live.Count, Count(CrossingStatus.CheckedIn), Count(CrossingStatus.Embarked),
            Count(CrossingStatus.Arrived), Count(CrossingStatus.Cleared, CrossingStatus.Completed), listed);
    }

    private static async Task<List<DeskCrossing>> ViewAsync(IQuerySession session, string port, List<Crossing> crossings, CancellationToken ct, Sailing? only = null)
    {
        if (crossings.Count == 0) return [];
        var ids = crossings.Select(c => c.Id).ToArray();
        var plates = (await session.Query<CrossingVehicle>().Where(v => v.Id.IsOneOf(ids)).ToListAsync(ct)).ToDictionary(v => v.Id, v => v.Plate);
        var sailings = only is not null ? new Dictionary<Guid, Sailing> { [only.Id] = only }
            : (await session.LoadManyAsync<Sailing>(ct, crossings.Select(c => c.SailingId).Distinct())).ToDictionary(s => s.Id);
        return crossings.Select(c =>
        {
            var s = sailings[c.SailingId];
            return new DeskCrossing(c.Id, c.BookingReference, plates.GetValueOrDefault(c.Id), c.SailingId, s.Vessel, c.Origin, c.Destination,
                Local(s.DepartureAt, c.Origin), Local(s.ArrivalAt, c.Destination), c.Passengers, c.Vehicle, c.Status, c.NextStepAt(port));
        }).ToList();
    }
}
