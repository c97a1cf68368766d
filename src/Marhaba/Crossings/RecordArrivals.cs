using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Sailings;
using JasperFx.Core;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>A whole ship's arrivals at once; each item succeeds or fails on its own.</summary>
public record RecordArrivals(List<CrossingAtPort?>? Items);

public record ArrivalItemResult(int Index, string? BookingReference, Guid? CrossingId, bool Recorded, CrossingStatus? Status, int? Problem, string? Reason);

public record RecordArrivalsResponse(int Recorded, int Refused, List<ArrivalItemResult> Items);

public static class RecordArrivalsEndpoint
{
    public const int MaxItems = 2000;

    public static ProblemDetails Validate(string port, RecordArrivals request, ClaimsPrincipal user)
    {
        var portProblem = PortDesk.CheckPort(port, user);
        if (portProblem != WolverineContinue.NoProblems) return portProblem;
        if (request.Items is null || request.Items.Count == 0)
            return Problems.BadRequest("items", "items must list at least one arrival.");
        if (request.Items.Count > MaxItems)
            return Problems.BadRequest("items", $"At most {MaxItems} arrivals per batch; split the list.");
        return WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/ports/{port}/arrivals/batch", OperationId = "RecordArrivals")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<RecordArrivalsResponse>(200)]
    public static async Task<RecordArrivalsResponse> Post(
        string port, RecordArrivals request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        port = PortDesk.Normalised(port);
        var now = clock.GetUtcNow();
        var staff = user.StaffId();
        var seen = new HashSet<Guid>();
        var results = new List<ArrivalItemResult>(request.Items!.Count);

        // A ship's list comes by booking reference, and a crossing's stream id follows from its reference: every
        // crossing is fetched for writing, and the sailings they are on (mostly one), in one round trip.
        var references = request.Items.Where(i => PortDesk.ValidateItem(i, now) is null && !string.IsNullOrWhiteSpace(i!.BookingReference))
            .Select(i => Codes.Normalise(i!.BookingReference!)).Distinct().ToArray();
        var batch = session.CreateBatchQuery();
        var fetched = references.ToDictionary(r => r, r => batch.Events.FetchForWriting<Crossing>(Codes.CrossingIdOf(r)));
        var sailingsOfFetched = batch.Query<Sailing>(PortDesk.SailingsOfCrossings, references.Select(Codes.CrossingIdOf).ToArray());
        await batch.Execute(ct);
        var sailings = (await sailingsOfFetched).ToDictionary(s => s.Id);
        var streams = new Dictionary<string, JasperFx.Events.IEventStream<Crossing>>();
        foreach (var (reference, stream) in fetched)
            if ((await stream).Aggregate is not null) streams[reference] = await stream;

        // Crossings booked before their ids followed from their references: looked up, in one more round trip.
        var older = references.Where(r => !streams.ContainsKey(r)).ToArray();
        if (older.Length > 0)
        {
            var found = await session.Query<Crossing>().Where(c => c.BookingReference.IsOneOf(older)).Select(c => c.Id).ToListAsync(ct);
            var more = session.CreateBatchQuery();
            var olderStreams = found.Select(id => more.Events.FetchForWriting<Crossing>(id)).ToList();
            if (olderStreams.Count > 0) await more.Execute(ct);
            var olderCrossings = (await Task.WhenAll(olderStreams)).ToList();
            foreach (var stream in olderCrossings) streams[stream.Aggregate!.BookingReference] = stream;
            foreach (var sailing in await session.LoadManyAsync<Sailing>(ct, olderCrossings.Select(s => s.Aggregate!.SailingId).Distinct()))
                sailings[sailing.Id] = sailing;
        }

        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            if (PortDesk.ValidateItem(item, now, $"items[{i}].") is { } invalid)
            {
                results.Add(Refused(i, item, invalid));
                continue;
            }

            Decision Decide(Crossing c, Sailing? sailing, DateTimeOffset at) =>
                !seen.Add(c.Id)
                    ? Refusal.Conflict($"Crossing {c.BookingReference} appears more than once in this batch.")
                    : CrossingRules.Record(c, DeskStep.Arrival, port, item!.Lane, at, staff, sailing);

            CrossingAtPortResult? done;
            ProblemDetails? refused;
            if (string.IsNullOrWhiteSpace(item!.BookingReference))
            {
                (done, refused) = await PortDesk.DecideAndAppendAsync(session, await PortDesk.LoadAsync(session, port, item, now, ct), port, item, now, Decide, ct);
            }
            else if (!streams.TryGetValue(Codes.Normalise(item.BookingReference), out var stream))
            {
                (done, refused) = (null, Problems.NotFound($"No crossing with booking reference {Codes.Normalise(item.BookingReference)}."));
            }
            else
            {
                var crossing = stream.Aggregate!;
                var decision = Decide(crossing, sailings[crossing.SailingId], item.OccurredAt ?? now);
                if (decision.Refused is null) stream.AppendOne(decision.Event!);
                done = decision.Refused is null ? new CrossingAtPortResult(crossing.Id, crossing.BookingReference, CrossingStatus.Arrived) : null;
                refused = decision.Refused?.ToProblem();
            }

            results.Add(done is not null
                ? new ArrivalItemResult(i, done.BookingReference, done.CrossingId, true, done.Status, null, null)
                : Refused(i, item, refused!));
        }

        var recorded = results.Count(r => r.Recorded);
        return new RecordArrivalsResponse(recorded, results.Count - recorded, results);
    }

    private static ArrivalItemResult Refused(int index, CrossingAtPort? item, ProblemDetails why) =>
        new(index, item?.BookingReference, null, false, null, why.Status, why.Detail);
}
