using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Notices;

/// <param name="AskedToBeTold">Travellers of the sailing (on it, or moved off it) who asked to be told of changes.</param>
/// <param name="Told">Of them, those a message about the sailing reached its mail server or gateway.</param>
/// <param name="Waiting">Those whose message is decided and not yet taken (retried, or in the dead letters).</param>
public record TravellersTold(Guid SailingId, string RouteCode, string Origin, SailingStatus Status, DateTimeOffset DepartureAt, DateTimeOffset ScheduledDepartureAt, long AskedToBeTold, int Told, int Waiting);

/// <summary>How many travellers of a changed sailing have heard of the change: what a planner checks before the ship's time.</summary>
public static class TravellersToldReader
{
    private static readonly NoticeKind[] OfTheSailing =
        [NoticeKind.Delayed, NoticeKind.BerthChanged, NoticeKind.SailingCancelled, NoticeKind.Rebooked, NoticeKind.WithoutSailing];

    public static async Task<TravellersTold> OfAsync(IQuerySession session, Sailing sailing, CancellationToken ct)
    {
        var crossings = await session.Query<Crossing>()
            .Where(c => c.SailingId == sailing.Id || c.PreviousSailingId == sailing.Id).Select(c => c.Id).ToListAsync(ct);
        var ids = crossings.ToArray();
        var batch = session.CreateBatchQuery();
        var asked = batch.Query<NoticeLedger>().Where(l => l.Id.IsOneOf(ids)).Count();
        var notices = batch.Query<Notice>().Where(n => n.CrossingId.IsOneOf(ids) && n.Kind.IsOneOf(OfTheSailing)).ToList();
        await batch.Execute(ct);
        var byTraveller = (await notices).GroupBy(n => n.CrossingId).ToList();
        var told = byTraveller.Count(g => g.Any(n => n.SentAt is not null));
        return new TravellersTold(sailing.Id, sailing.RouteCode, sailing.Origin, sailing.Status, sailing.DepartureAt, sailing.ScheduledDepartureAt, await asked, told,
            byTraveller.Count(g => g.All(n => n.SentAt is null)));
    }
}

public static class TravellersToldEndpoint
{
    [WolverineGet("/api/planning/sailings/{sailingId}/travellers-told", OperationId = "PlanningTravellersTold")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<TravellersTold>(200)]
    public static async Task<IResult> Get(Guid sailingId, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Sailing>(sailingId, ct) is { } sailing
            ? Results.Ok(await TravellersToldReader.OfAsync(session, sailing, ct))
            : Problems.NotFound($"No sailing {sailingId}.").ToResult();
}
