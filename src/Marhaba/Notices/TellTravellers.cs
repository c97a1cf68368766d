using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marten;
using Wolverine;

namespace Marhaba.Notices;

/// <summary>
/// Tell the travellers of a sailing what changed: scheduled, in the same transaction as the change, for when the
/// change has settled (<see cref="NoticeOptions.SettleSeconds"/>), so that a burst of changes is told once.
/// </summary>
public record TellTravellersOfSailing(Guid SailingId);

/// <summary>Tell one traveller what changed on their crossing since they were last told, if anything.</summary>
public record TellTraveller(Guid CrossingId)
{
    public const string WelcomeSubscription = "TravellersWelcomed";
}

public static class TellTravellersOfSailingHandler
{
    /// <summary>Every live crossing on the sailing, and those moved off it (a cancellation's rebookings): each decides for itself.</summary>
    public static async Task<OutgoingMessages> Handle(TellTravellersOfSailing message, IQuerySession session, CancellationToken ct)
    {
        var ids = await session.Query<Crossing>()
            .Where(c => c.SailingId == message.SailingId || c.PreviousSailingId == message.SailingId)
            .Select(c => c.Id).ToListAsync(ct);
        var told = await session.LoadManyAsync<NoticeLedger>(ct, ids);
        var messages = new OutgoingMessages();
        messages.AddRange(told.Select(l => new TellTraveller(l.Id)));
        return messages;
    }
}

public static class TellTravellerHandler
{
    public static async Task<OutgoingMessages> Handle(TellTraveller message, IDocumentSession session, NoticeTexts texts, NoticeOptions options, TimeProvider clock, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var ledger = batch.Load<NoticeLedger>(message.CrossingId);
        var crossing = batch.Load<Crossing>(message.CrossingId);
        var profile = batch.Load<TravellerProfile>(message.CrossingId);
        await batch.Execute(ct);
        if (await ledger is not { } told || await crossing is not { Erased: false } c || await profile is not { } p) return [];
        // Aboard or gone: nothing to tell until the arrival's welcome.
        if (c.Status is not (CrossingStatus.Booked or CrossingStatus.CheckedIn or CrossingStatus.Arrived or CrossingStatus.Cleared)) return [];

        var sailing = (await session.LoadAsync<Sailing>(c.SailingId, ct))!;
        var now = Itinerary.Of(c, sailing);
        if (NoticeRules.KindOf(told.Told, now) is not { } kind) return [];

        // The ledger is versioned: of two nodes deciding at once, one commits and the other, retried, finds nothing new.
        told.Told = now;
        session.Store(told);
        var language = p.PreferredLanguage ?? Assistance.Language.en;
        var leftCancelled = kind == NoticeKind.Rebooked && c.PreviousSailingId is { } previous
                            && (await session.LoadAsync<Sailing>(previous, ct))?.Status == SailingStatus.Cancelled;
        return Telling.Decide(session, p, c.Id, now, kind, language, texts.Compose(kind, c, sailing, language, options.TravellerPageUrl, leftCancelled), clock);
    }
}

/// <summary>Tell a traveller how their request for help moved on since they were last told of it, if it did.</summary>
public record TellTravellerOfRequest(Guid RequestId);

public static class TellTravellerOfRequestHandler
{
    public static async Task<OutgoingMessages> Handle(TellTravellerOfRequest message, IDocumentSession session, NoticeTexts texts, NoticeOptions options, TimeProvider clock, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var request = batch.Load<AssistanceRequest>(message.RequestId);
        var ledger = batch.Load<RequestNoticeLedger>(message.RequestId);
        await batch.Execute(ct);
        if (await request is not { Erased: false, Abusive: false, CrossingId: { } crossingId } r) return [];
        if (await session.LoadAsync<TravellerProfile>(crossingId, ct) is not { } p || !Contact.ChannelsOf(p).Any()) return [];

        var told = await ledger;
        var now = RequestProgress.Of(r);
        if (NoticeRules.KindOf(told?.Told ?? RequestProgress.Opened, now) is not { } kind) return [];

        // Versioned like the crossings' ledger: a first one inserted twice at once fails once and is retried.
        if (told is null) session.Insert(new RequestNoticeLedger { Id = r.Id, Told = now });
        else
        {
            told.Told = now;
            session.Store(told);
        }
        var language = p.PreferredLanguage ?? r.Language;
        return Telling.Decide(session, p, crossingId, (r.Id, now), kind, language, texts.Compose(kind, r, language, options.TravellerPageUrl), clock);
    }
}

public static class Telling
{
    /// <summary>One notice per channel the traveller asked for, kept with its words, and its delivery sent through the outbox.</summary>
    public static OutgoingMessages Decide(IDocumentSession session, TravellerProfile profile, Guid crossingId, object state, NoticeKind kind, Language language,
        NoticeWords words, TimeProvider clock)
    {
        var messages = new OutgoingMessages();
        foreach (var (channel, to) in Contact.ChannelsOf(profile))
        {
            var (subject, text, html) = words.For(channel);
            var notice = new Notice
            {
                Id = NoticeRules.IdOf(crossingId, channel, state), CrossingId = crossingId, Channel = channel, Kind = kind, Language = language, To = to,
                Subject = subject, Text = text, Html = html, DecidedAt = clock.GetUtcNow()
            };
            session.Store(notice);
            messages.Add(new DeliverNotice(notice.Id));
        }
        return messages;
    }
}
