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
/// Erasure deletes the documents that hold personal data (the profile, the vehicle's plate, the contact and free
/// texts of the crossing's assistance requests, who read the profile and why), the access code's keyed hash, and
/// every answer kept for a retry that named the crossing or its requests. Events never held any, so they stay; the
/// crossing (or a request without a booking) records that its data was erased. Deleting documents (rather than
/// encrypting them with a key destroyed on erasure) keeps every read simple and lets a scan of the database prove
/// the erasure. What a quay tablet still holds is the desk's to forget (desk.js: sent steps after a day, unsent after three).
/// </summary>
public static class Erasure
{
    public static async Task<bool> EraseAsync(IDocumentSession session, IdempotencyLog answers, Guid crossingId, string by, ErasureReason why, DateTimeOffset now, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Crossing>(crossingId, ct);
        if (stream.Aggregate is not { } crossing) return false;
        session.Delete<TravellerProfile>(crossingId);
        session.Delete<CrossingVehicle>(crossingId);
        session.Delete<CrossingRemarks>(crossingId);
        session.Delete<AccessKey>(crossing.BookingReference);
        session.DeleteWhere<ProfileRead>(r => r.CrossingId == crossingId);
        session.Delete<Notices.NoticeLedger>(crossingId);
        // What was sent stays as a fact (a message of a kind, at a time); its address and words go.
        foreach (var notice in await session.Query<Notices.Notice>().Where(n => n.CrossingId == crossingId).ToListAsync(ct))
        {
            (notice.To, notice.Subject, notice.Text, notice.Html) = (null, null, null, null);
            session.Store(notice);
        }
        var named = new List<string> { crossingId.ToString(), crossing.BookingReference };
        var requests = await session.Query<AssistanceRequest>().Where(r => r.CrossingId == crossingId).ToListAsync(ct);
        foreach (var request in requests) named.AddRange(Forget(session, request));
        answers.QueueErase(session, named);
        if (!crossing.Erased) stream.AppendOne(new TravellerDataErased(now, by, why));
        return true;
    }

    /// <summary>A request's own data: opened without a booking, it is erased on its own (on request, or with its season).</summary>
    public static async Task<bool> EraseRequestAsync(IDocumentSession session, IdempotencyLog answers, Guid requestId, string by, ErasureReason why, DateTimeOffset now, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AssistanceRequest>(requestId, ct);
        if (stream.Aggregate is not { } request) return false;
        answers.QueueErase(session, Forget(session, request));
        if (!request.Erased) stream.AppendOne(new AssistanceDataErased(now, by, why));
        return true;
    }

    /// <summary>Deletes what a request holds of a person; the ids and references its kept answers are found by.</summary>
    private static string[] Forget(IDocumentSession session, AssistanceRequest request)
    {
        session.Delete<AssistanceContact>(request.Id);
        session.Delete<AssistanceText>(request.Id);
        // A request followed without a booking has a code of its own.
        session.Delete<AccessKey>(request.Reference);
        return [request.Id.ToString(), request.Reference];
    }
}

public static class EraseEndpoint
{
    /// <summary>Erases a crossing's traveller data on request (the right to erasure).</summary>
    [WolverinePost("/api/crossings/{crossingId}/erasure", OperationId = "EraseTravellerData")]
    [Authorize(Policy = Policies.Admin)]
    [ProducesResponseType(204)]
    public static async Task<IResult> Post(Guid crossingId, EraseTravellerData command, IDocumentSession session, IdempotencyLog answers, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct) =>
        await Erasure.EraseAsync(session, answers, crossingId, user.StaffId(), command.Why ?? ErasureReason.TravellerRequest, clock.GetUtcNow(), ct)
            ? Results.NoContent()
            : Problems.NotFound($"No crossing {crossingId}.").ToResult();

    /// <summary>Erases what an assistance request holds of a person (its texts, contact, code and kept answers), on request.</summary>
    [WolverinePost("/api/assistance/{requestId}/erasure", OperationId = "EraseAssistanceRequestData")]
    [Authorize(Policy = Policies.Admin)]
    [ProducesResponseType(204)]
    public static async Task<IResult> Request(Guid requestId, EraseTravellerData command, IDocumentSession session, IdempotencyLog answers, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct) =>
        await Erasure.EraseRequestAsync(session, answers, requestId, user.StaffId(), command.Why ?? ErasureReason.TravellerRequest, clock.GetUtcNow(), ct)
            ? Results.NoContent()
            : Problems.NotFound($"No assistance request {requestId}.").ToResult();
}

/// <summary>Erases, once a day (once in the cluster), the traveller data of seasons closed long enough ago.</summary>
public sealed class SeasonErasure(IDocumentStore store, IdempotencyLog answers, PrivacyOptions options, ILogger<SeasonErasure> logger)
    : Hosting.PeriodicJob("marhaba-season-erasure", TimeSpan.FromDays(1))
{
    public override async Task RunAsync(IDocumentSession session, DateTimeOffset due, DateTimeOffset? previousDue, DateTimeOffset now, Wolverine.OutgoingMessages messages, CancellationToken ct) =>
        logger.LogInformation("Season erasure: {Count} crossings and requests without a booking erased", await EraseDueAsync(store, answers, options, now, ct));

    /// <summary>Crossings of every season whose close (15 September) is more than the configured days ago, and requests opened without a booking then.</summary>
    public static async Task<int> EraseDueAsync(IDocumentStore store, IdempotencyLog answers, PrivacyOptions options, DateTimeOffset now, CancellationToken ct)
    {
        var closedSeasonsBefore = LastErasableSeasonEnd(options, now);
        await using var query = store.QuerySession();
        var due = await query.Query<Crossing>().Where(c => !c.Erased && c.DepartureAt < closedSeasonsBefore).Select(c => c.Id).ToListAsync(ct);
        // A booking's requests go with its crossing; those without one, on their own.
        var walkUps = await query.Query<AssistanceRequest>().Where(r => r.CrossingId == null && !r.Erased && r.OpenedAt < closedSeasonsBefore).Select(r => r.Id).ToListAsync(ct);
        foreach (var batch in due.Select(id => (Id: id, Crossing: true)).Concat(walkUps.Select(id => (Id: id, Crossing: false))).Chunk(200))
        {
            await using var session = store.LightweightSession();
            foreach (var (id, crossing) in batch)
            {
                if (crossing) await Erasure.EraseAsync(session, answers, id, "season-erasure", ErasureReason.SeasonClosed, now, ct);
                else await Erasure.EraseRequestAsync(session, answers, id, "season-erasure", ErasureReason.SeasonClosed, now, ct);
            }
            await session.SaveChangesAsync(ct);
        }
        return due.Count + walkUps.Count;
    }

    public static DateTimeOffset LastErasableSeasonEnd(PrivacyOptions options, DateTimeOffset now)
    {
        var seasonEnd = new DateTimeOffset(now.Year, 9, 16, 0, 0, 0, TimeSpan.Zero);
        if (seasonEnd.AddDays(options.EraseDaysAfterSeason) > now) seasonEnd = seasonEnd.AddYears(-1);
        return seasonEnd;
    }
}
