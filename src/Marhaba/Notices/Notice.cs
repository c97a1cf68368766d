using System.Globalization;
using System.Net;
using System.Text.Json.Serialization;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Ports;
using Marhaba.Sailings;
using Microsoft.Extensions.Localization;

namespace Marhaba.Notices;

public enum Channel
{
    [JsonStringEnumMemberName("Email")] Email,
    [JsonStringEnumMemberName("Sms")] Sms
}

public enum NoticeKind
{
    [JsonStringEnumMemberName("Delayed")] Delayed,
    [JsonStringEnumMemberName("BerthChanged")] BerthChanged,
    [JsonStringEnumMemberName("SailingCancelled")] SailingCancelled,
    [JsonStringEnumMemberName("Rebooked")] Rebooked,
    [JsonStringEnumMemberName("WithoutSailing")] WithoutSailing,
    [JsonStringEnumMemberName("Welcome")] Welcome,
    [JsonStringEnumMemberName("RequestTakenUp")] RequestTakenUp,
    [JsonStringEnumMemberName("RequestAnswered")] RequestAnswered,
    [JsonStringEnumMemberName("RequestResolved")] RequestResolved
}

/// <summary>Where a crossing stands for its traveller: the sailing it is on, when that sailing leaves and arrives, where it berths.</summary>
/// <param name="Arrived">Recorded at the arrival port: the traveller is welcomed.</param>
public sealed record Itinerary(Guid SailingId, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, string? Berth, string? Terminal, bool SailingCancelled, bool WithoutSailing,
    bool Arrived = false)
{
    public static Itinerary Of(Crossing c, Sailing s) =>
        new(c.SailingId, s.DepartureAt, s.ArrivalAt, s.Berth, s.Terminal, s.Status == SailingStatus.Cancelled, c.LeftWithoutSailing,
            c.Status is CrossingStatus.Arrived or CrossingStatus.Cleared);
}

/// <summary>Where a traveller's request for help stands, as far as they are told: taken up, written to, resolved.</summary>
public sealed record RequestProgress(bool TakenUp, int NotesForTraveller, bool Resolved)
{
    public static readonly RequestProgress Opened = new(false, 0, false);

    public static RequestProgress Of(AssistanceRequest r) =>
        new(r.AcknowledgedAt is not null, r.NotesForTraveller, r.Status is AssistanceStatus.Resolved or AssistanceStatus.Closed && !r.Abusive);
}

/// <summary>What a traveller was last told of one of their requests for help.</summary>
public class RequestNoticeLedger
{
    public Guid Id { get; set; }
    public RequestProgress Told { get; set; } = RequestProgress.Opened;
}

/// <summary>
/// What a traveller who asked to be told was last told (or, before any message, how the crossing stood when they
/// asked): a change is told when the crossing stands otherwise now. A burst of changes is told once, as it ends up;
/// a change undone before the message was due is not told at all. No personal data: the contact is in the profile.
/// </summary>
public class NoticeLedger
{
    public Guid Id { get; set; }
    public Itinerary Told { get; set; } = null!;
}

/// <summary>
/// One message to one traveller on one channel. Its address and texts are personal data, erased with the traveller's
/// profile; what remains is that a message of a kind was sent at a time.
/// </summary>
public class Notice
{
    public Guid Id { get; set; }
    public Guid CrossingId { get; set; }
    public Channel Channel { get; set; }
    public NoticeKind Kind { get; set; }
    public Language Language { get; set; }
    public string? To { get; set; }
    public string? Subject { get; set; }
    public string? Text { get; set; }
    public string? Html { get; set; }
    /// <summary>An SMS's length as billed: one or two segments, GSM-7 or UCS-2.</summary>
    public int? Segments { get; set; }
    public string? Encoding { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
    /// <summary>Taken by the mail server or the SMS gateway.</summary>
    public DateTimeOffset? SentAt { get; set; }
    /// <summary>The SMS gateway's receipt: on the phone, or given up on by the network.</summary>
    public DateTimeOffset? DeliveredAt { get; set; }
    public DateTimeOffset? DeliveryFailedAt { get; set; }
}

public static class NoticeRules
{
    /// <summary>What to tell, the most important change first; nothing when the crossing stands as last told.</summary>
    /// <remarks>
    /// A crossing still on a cancelled sailing is being moved: nothing is told until it is (the rebooking tells its
    /// travellers when every move is made), so each hears once, of their new sailing or of none found.
    /// </remarks>
    public static NoticeKind? KindOf(Itinerary told, Itinerary now) =>
        now.Arrived ? (told.Arrived ? null : NoticeKind.Welcome)
        : now.WithoutSailing && !told.WithoutSailing ? NoticeKind.WithoutSailing
        : now.SailingCancelled ? null
        : now.SailingId != told.SailingId ? NoticeKind.Rebooked
        : now.DepartureAt != told.DepartureAt || now.ArrivalAt != told.ArrivalAt ? NoticeKind.Delayed
        : now.Berth != told.Berth || now.Terminal != told.Terminal ? NoticeKind.BerthChanged
        : null;

    /// <summary>Resolved first; an agent's new note; taken up (acknowledged or assigned, whichever came first) once.</summary>
    public static NoticeKind? KindOf(RequestProgress told, RequestProgress now) =>
        now.Resolved && !told.Resolved ? NoticeKind.RequestResolved
        : now.NotesForTraveller > told.NotesForTraveller && !now.Resolved ? NoticeKind.RequestAnswered
        : now.TakenUp && !told.TakenUp && !now.Resolved ? NoticeKind.RequestTakenUp
        : null;

    /// <summary>An agent's step a traveller hears of, decided in the step's own transaction; told at once (an agent's steps are news, not a burst).</summary>
    public static TellTravellerOfRequest? TellAfter(AssistanceRequest request, object? e) =>
        request.CrossingId is not null && e is AssistanceRequestAcknowledged or AssistanceRequestAssigned or AssistanceNoteAdded { VisibleToTraveller: true } or AssistanceRequestResolved
            ? new TellTravellerOfRequest(request.Id)
            : null;

    /// <summary>One message per subject (crossing or request), channel and state told: a retried decision finds the one it made.</summary>
    public static Guid IdOf(Guid subject, Channel channel, object told) =>
        new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{subject}|{channel}|{told}"))[..16]);
}

/// <summary>A notice's words in the traveller's language, times in each port's local time, with the way to their page.</summary>
public sealed class NoticeTexts(IStringLocalizer<TravellerTexts> texts)
{
    /// <param name="leftCancelled">Rebooked off a sailing that was cancelled: the message says so.</param>
    public NoticeWords Compose(NoticeKind kind, Crossing crossing, Sailing sailing, Language language, string pageUrl, bool leftCancelled = false)
    {
        using var _ = TravellerLanguage.Use(language);
        var w = new Words(texts, TravellerLanguage.Culture(language));
        var change = kind switch
        {
            NoticeKind.Welcome => w["Notice_Welcome", w.Port(crossing.Destination), ReferenceData.Port(crossing.Destination).AssistanceLine],
            NoticeKind.Delayed => w["Sailing_Delayed", w.Time(sailing.DepartureAt, sailing.Origin), w.Time(sailing.ArrivalAt, sailing.Destination)],
            NoticeKind.BerthChanged => w["Sailing_BerthChanged", string.Join(", ", new[] { sailing.Terminal, sailing.Berth }.Where(x => x is not null))],
            NoticeKind.SailingCancelled => w["Sailing_Cancelled"],
            NoticeKind.Rebooked => w[leftCancelled ? "History_rebooked_SailingCancelled" : "History_rebooked", w.Time(sailing.DepartureAt, sailing.Origin)],
            _ => w["History_awaiting-new-sailing"]
        };
        return Build(w, language, w["Notice_Subject", crossing.BookingReference], crossing.BookingReference, change,
            w["Notice_Booking", crossing.BookingReference, w.Port(crossing.Origin), w.Port(crossing.Destination)], pageUrl);
    }

    public NoticeWords Compose(NoticeKind kind, AssistanceRequest request, Language language, string pageUrl)
    {
        using var _ = TravellerLanguage.Use(language);
        var w = new Words(texts, TravellerLanguage.Culture(language));
        return Build(w, language, w["Notice_RequestSubject", request.Reference], request.Reference, w[$"Notice_{kind}", request.Reference], null, pageUrl);
    }

    private static NoticeWords Build(Words w, Language language, string subject, string reference, string change, string? detail, string pageUrl)
    {
        var link = w["Notice_Link", pageUrl];
        var text = string.Join("\n", new[] { change, detail, link, "", w["Notice_Why"] }.Where(x => x is not null));
        var direction = TravellerLanguage.Direction(language);
        string E(string s) => WebUtility.HtmlEncode(s);
        var html = $"""
            <!DOCTYPE html>
            <html lang="{language}" dir="{direction}"><head><meta charset="utf-8"><title>{E(subject)}</title></head>
            <body style="font-family:sans-serif" dir="{direction}">
            <p><strong>{E(change)}</strong></p>
            {(detail is null ? "" : $"<p>{E(detail)}</p>")}
            <p><a href="{E(pageUrl)}">{E(link)}</a></p>
            <p style="color:#555">{E(w["Notice_Why"])}</p>
            </body></html>
            """;
        return new NoticeWords(subject, text, html, Sms($"Marhaba {reference}: {change}", pageUrl));
    }

    /// <summary>
    /// An SMS in at most two segments (306 GSM-7 characters, 134 in UCS-2 — Arabic's): the change and the booking
    /// always, the link when it fits, the change cut short only when it alone would not.
    /// </summary>
    public static string Sms(string essential, string link)
    {
        var full = $"{essential} {link}";
        if (SmsSegments.Count(full).Segments <= 2) return full;
        if (SmsSegments.Count(essential).Segments <= 2) return essential;
        return essential[..130] + "…";
    }
}

public sealed record NoticeWords(string Subject, string Text, string Html, string Sms)
{
    public (string? Subject, string Text, string? Html) For(Channel channel) =>
        channel == Channel.Email ? (Subject, Text, Html) : (null, Sms, null);
}
