using System.Security.Claims;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Privacy;

public sealed class PrivacyOptions
{
    public const string Section = "Privacy";
    /// <summary>Traveller data is erased this many days after the season closes (15 September).</summary>
    public int EraseDaysAfterSeason { get; set; } = 90;
}

/// <summary>Why, as a code (the traveller's request when left out).</summary>
public record EraseTravellerData(ErasureReason? Why);

/// <summary>
/// Erasure deletes the documents that hold personal data (the profile, the vehicle's plate, the
/// contact and free texts of the crossing's assistance requests). Events never held any, so they
/// stay; the crossing records that its data was erased. Deleting documents (rather than encrypting
/// them with a key destroyed on erasure) keeps every read simple and lets a scan of the database
/// prove the erasure.
/// </summary>
public static class Erasure
{
    public static async Task<bool> EraseAsync(IDocumentSession session, Guid crossingId, string by, ErasureReason why, DateTimeOffset now, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Crossing>(crossingId, ct);
        if (stream.Aggregate is not { } crossing) return false;
        session.Delete<TravellerProfile>(crossingId);
        session.Delete<CrossingVehicle>(crossingId);
        session.Delete<CrossingRemarks>(crossingId);
        session.Delete<AccessKey>(crossing.BookingReference);
        var requests = await session.Query<AssistanceRequest>().Where(r => r.CrossingId == crossingId).Select(r => r.Id).ToListAsync(ct);
        foreach (var id in requests)
        {
            session.Delete<AssistanceContact>(id);
            session.Delete<AssistanceText>(id);
        }
        if (!crossing.Erased) stream.AppendOne(new TravellerDataErased(now, by, why));
        return true;
    }
}

public static class EraseEndpoint
{
    /// <summary>Erases a crossing's traveller data on request (the right to erasure).</summary>
    [WolverinePost("/api/crossings/{crossingId}/erasure", OperationId = "EraseTravellerData")]
    [Authorize(Policy = Policies.Admin)]
    [ProducesResponseType(204)]
    public static async Task<IResult> Post(Guid crossingId, EraseTravellerData command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct) =>
        await Erasure.EraseAsync(session, crossingId, user.StaffId(), command.Why ?? ErasureReason.TravellerRequest, clock.GetUtcNow(), ct)
            ? Results.NoContent()
            : Problems.NotFound($"No crossing {crossingId}.").ToResult();
}

/// <summary>Erases, once a day (on one node), the traveller data of seasons closed long enough ago.</summary>
public sealed class SeasonErasure(IDocumentStore store, PrivacyOptions options, TimeProvider clock, ILogger<SeasonErasure> logger)
    : Hosting.ClusterJob("marhaba-season-erasure", clock, logger)
{
    protected override TimeSpan Wait(DateTimeOffset now, bool first) => first ? TimeSpan.Zero : TimeSpan.FromDays(1);

    protected override async Task RunOnceAsync(CancellationToken ct) =>
        Logger.LogInformation("Season erasure: {Count} crossings erased", await EraseDueAsync(store, options, Clock.GetUtcNow(), ct));

    /// <summary>Crossings of every season whose close (15 September) is more than the configured days ago.</summary>
    public static async Task<int> EraseDueAsync(IDocumentStore store, PrivacyOptions options, DateTimeOffset now, CancellationToken ct)
    {
        var closedSeasonsBefore = LastErasableSeasonEnd(options, now);
        await using var query = store.QuerySession();
        var due = await query.Query<Crossing>().Where(c => !c.Erased && c.DepartureAt < closedSeasonsBefore).Select(c => c.Id).ToListAsync(ct);
        // Keys of requests followed without a booking go with their season too (a booking's goes with its crossing, below).
        await using (var keys = store.LightweightSession())
        {
            keys.DeleteWhere<AccessKey>(k => k.Id.StartsWith("AST-") && k.IssuedAt < closedSeasonsBefore);
            await keys.SaveChangesAsync(ct);
        }
        foreach (var batch in due.Chunk(200))
        {
            await using var session = store.LightweightSession();
            foreach (var id in batch) await Erasure.EraseAsync(session, id, "season-erasure", ErasureReason.SeasonClosed, now, ct);
            await session.SaveChangesAsync(ct);
        }
        return due.Count;
    }

    public static DateTimeOffset LastErasableSeasonEnd(PrivacyOptions options, DateTimeOffset now)
    {
        var seasonEnd = new DateTimeOffset(now.Year, 9, 16, 0, 0, 0, TimeSpan.Zero);
        if (seasonEnd.AddDays(options.EraseDaysAfterSeason) > now) seasonEnd = seasonEnd.AddYears(-1);
        return seasonEnd;
    }
}
