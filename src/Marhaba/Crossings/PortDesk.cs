using System.Linq.Expressions;
using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Marten.Linq;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using JasperFx.Events;

namespace Marhaba.Crossings;

/// <summary>
/// What port staff send when a crossing passes their desk: the crossing by booking reference or by
/// vehicle plate, the lane or booth, and when it happened (now when left out).
/// </summary>
public record CrossingAtPort(string? BookingReference, string? Plate, string? Lane, DateTimeOffset? OccurredAt);

public record CrossingAtPortResult(Guid CrossingId, string BookingReference, CrossingStatus Status);

/// <summary>The desks' most frequent lookup, compiled once rather than translated from LINQ on every scan.</summary>
public class CrossingByReference : ICompiledQuery<Crossing, Crossing?>
{
    public string Reference { get; set; } = "";
    public Expression<Func<IMartenQueryable<Crossing>, Crossing?>> QueryIs() => q => q.FirstOrDefault(c => c.BookingReference == Reference);
}

/// <summary>
/// The shared path of every port-side action (check-in, boarding, arrival, clearance, exit):
/// check the request, find the crossing, let the pure rule decide, append its event.
/// </summary>
public static class PortDesk
{
    public const int MaxLaneLength = 32;

    public static ProblemDetails CheckPort(string port, ClaimsPrincipal user)
    {
        if (!ReferenceData.TryGetPort(port, out var known))
            return Problems.BadRequest("port", $"Unknown port '{port}': use a UN/LOCODE of the operation ({ReferenceData.KnownPortCodes}).");
        if (!user.CanActAt(known.Code))
            return Problems.Forbidden($"Your account may act at {string.Join(", ", user.FindAll(Claims.Port).Select(c => c.Value).DefaultIfEmpty("no port"))}, not at {known.Code}.");
        return WolverineContinue.NoProblems;
    }

    public static ProblemDetails Validate(string port, CrossingAtPort? request, ClaimsPrincipal user, DateTimeOffset now, string prefix = "")
    {
        var portProblem = CheckPort(port, user);
        if (portProblem != WolverineContinue.NoProblems) return portProblem;
        return ValidateItem(request, now, prefix) ?? WolverineContinue.NoProblems;
    }

    public static ProblemDetails? ValidateItem(CrossingAtPort? request, DateTimeOffset now, string prefix = "")
    {
        if (request is null) return Problems.BadRequest(prefix + "body", "A JSON body with bookingReference or plate is required.");
        if (string.IsNullOrWhiteSpace(request.BookingReference) && string.IsNullOrWhiteSpace(request.Plate))
            return Problems.BadRequest(prefix + "bookingReference", "Give the crossing's bookingReference or its vehicle plate.");
        if (!string.IsNullOrWhiteSpace(request.BookingReference) && !Codes.IsReference(request.BookingReference))
            return Problems.BadRequest(prefix + "bookingReference", "bookingReference is MRH- and 10 letters and digits, as printed on the ticket.");
        if (request.Plate is not null && Plates.Normalise(request.Plate) is null)
            return Problems.BadRequest(prefix + "plate", "plate must have 2 to 12 letters and digits.");
        if (request.Lane is { Length: > MaxLaneLength })
            return Problems.BadRequest(prefix + "lane", $"lane is at most {MaxLaneLength} characters.");
        return request.OccurredAt is { } at ? CrossingRules.CheckBusinessTime(at, now, prefix + "occurredAt")?.ToProblem() : null;
    }

    /// <summary>Finds the crossing the request names, among those that use <paramref name="port"/>.</summary>
    public static async Task<Crossing?> FindAsync(IQuerySession session, string port, CrossingAtPort request, DateTimeOffset now, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(request.BookingReference))
        {
            return await session.QueryAsync(new CrossingByReference { Reference = Codes.Normalise(request.BookingReference) }, ct);
        }

        // By plate: the vehicle's live crossing through this port, the one whose sailing is nearest in time.
        var plate = Plates.Normalise(request.Plate)!;
        var ids = await session.Query<CrossingVehicle>().Where(v => v.Plate == plate).Select(v => v.Id).ToListAsync(ct);
        if (ids.Count == 0) return null;
        var crossings = await session.LoadManyAsync<Crossing>(ct, ids);
        return crossings
            .Where(c => !c.IsOver && (c.Origin == port || c.Destination == port))
            .OrderBy(c => (c.ArrivalAt - now).Duration())
            .FirstOrDefault();
    }

    /// <summary>
    /// The crossing a desk request names, ready to be written, and the sailing it is on. By booking reference the
    /// crossing's id follows from the reference: both come in one round trip. A crossing booked before ids were
    /// derived, or one named by its plate, is looked up first.
    /// </summary>
    public static async Task<CrossingAtDesk> LoadAsync(IDocumentSession session, string port, CrossingAtPort request, DateTimeOffset now, CancellationToken ct)
    {
        if (Codes.IsReference(request.BookingReference))
        {
            var named = await FetchAsync(session, Codes.CrossingIdOf(request.BookingReference!), ct);
            if (named.Crossing is not null) return named;
        }
        var found = await FindAsync(session, Normalised(port), request, now, ct);
        return found is null ? CrossingAtDesk.None : await FetchAsync(session, found.Id, ct);
    }

    /// <summary>The sailings the crossings of the given ids are on, read beside the crossings in the same batch.</summary>
    public const string SailingsOfCrossings = $"where id in (select (c.data ->> 'SailingId')::uuid from {Database.Schema}.mt_doc_crossing c where c.id = any(?))";

    private static async Task<CrossingAtDesk> FetchAsync(IDocumentSession session, Guid id, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var stream = batch.Events.FetchForWriting<Crossing>(id);
        var sailing = batch.Query<Sailing>(SailingsOfCrossings, new[] { id });
        await batch.Execute(ct);
        return new(await stream, (await sailing).SingleOrDefault());
    }

    /// <summary>The pure rule decides on what <see cref="LoadAsync"/> found; its event is appended, and the answer is the crossing after it.</summary>
    public static async Task<(CrossingAtPortResult? Done, ProblemDetails? Refused)> DecideAndAppendAsync(
        IDocumentSession session, CrossingAtDesk desk, string port, CrossingAtPort request, DateTimeOffset now,
        Func<Crossing, Sailing?, DateTimeOffset, Decision> decide, CancellationToken ct)
    {
        if (desk is not { Stream: { } stream, Crossing: { } crossing })
            return (null, Problems.NotFound(request.BookingReference is { Length: > 0 }
                ? $"No crossing with booking reference {Codes.Normalise(request.BookingReference)}."
                : $"No crossing through {port} for vehicle plate {Plates.Normalise(request.Plate)}."));
        var decision = decide(crossing, desk.Sailing, request.OccurredAt ?? now);
        if (decision.Refused is { } refused) return (null, refused.ToProblem());

        stream.AppendOne(decision.Event!);
        var after = await session.AfterAsync(crossing, decision.Event!, ct);
        return (new CrossingAtPortResult(after.Id, after.BookingReference, after.Status), null);
    }

    /// <summary>One desk step on one crossing: what every step's endpoint does, the crossing's rules deciding (<see cref="CrossingRules.Record"/>).</summary>
    public static async Task<IResult> RecordAsync(
        IDocumentSession session, CrossingAtDesk desk, string port, CrossingAtPort request, DeskStep step, ClaimsPrincipal user,
        TimeProvider clock, CancellationToken ct)
    {
        port = Normalised(port);
        var staff = user.StaffId();
        var (done, refused) = await DecideAndAppendAsync(session, desk, port, request, clock.GetUtcNow(),
            (c, sailing, at) => CrossingRules.Record(c, step, port, request.Lane, at, staff, sailing), ct);
        return refused is not null ? refused.ToResult() : Results.Ok(done);
    }

    public static string Normalised(string port) => ReferenceData.Port(port.Trim()).Code;
}

/// <summary>The crossing a desk request names (none when nothing matches) and the sailing it is on, as they stand now.</summary>
public sealed record CrossingAtDesk(IEventStream<Crossing>? Stream, Sailing? Sailing)
{
    public static readonly CrossingAtDesk None = new(null, null);
    public Crossing? Crossing => Stream?.Aggregate;
}
