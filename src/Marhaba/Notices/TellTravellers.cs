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
public record TellTraveller(Guid CrossingId);

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
        var messages = new OutgoingMessages();
        var batch = session.CreateBatchQuery();
        var ledger = batch.Load<NoticeLedger>(message.CrossingId);
        var crossing = batch.Load<Crossing>(message.CrossingId);
        var profile = batch.Load<TravellerProfile>(message.CrossingId);
        await batch.Execute(ct);
        if (await ledger is not { } told || await crossing is not { Erased: false } c || await profile is not { } p) return messages;
        if (c.Status is not (CrossingStatus.Booked or CrossingStatus.CheckedIn)) return messages;

        var sailing = (await session.LoadAsync<Sailing>(c.SailingId, ct))!;
        var now = Itinerary.Of(c, sailing);
        if (NoticeRules.KindOf(told.Told, now) is not { } kind) return messages;

        // The ledger is versioned: of two nodes deciding at once, one commits and the other, retried, finds nothing new.
        told.Told = now;
        session.Store(told);
        var language = p.PreferredLanguage ?? Assistance.Language.en;
        var words = texts.Compose(kind, c, sailing, language, options.TravellerPageUrl);
        foreach (var (channel, to) in Contact.ChannelsOf(p))
        {
            var (subject, text, html) = words.For(channel);
            var notice = new Notice
            {
                Id = NoticeRules.IdOf(c.Id, channel, now), CrossingId = c.Id, Channel = channel, Kind = kind, Language = language, To = to,
                Subject = subject, Text = text, Html = html, DecidedAt = clock.GetUtcNow()
            };
            session.Store(notice);
            messages.Add(new DeliverNotice(notice.Id));
        }
        return messages;
    }
}
