using System.Globalization;
using Marhaba.Assistance;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>Sent in the body, so the code never shows in URLs or access logs. Language: else the browser's.</summary>
public record TravellerStatusRequest(string? BookingReference, string? AccessCode, Language? Language = null);

/// <summary>A step of the crossing or a fact of its sailing, with its words in the traveller's language.</summary>
public record HistoryLine(DateTimeOffset At, string What, string? Port, string Text);

public record TravellerStatusResponse(
    string BookingReference, CrossingStatus Status, Direction Direction, string RouteCode, string Origin, string OriginName,
    string Destination, string DestinationName, DateTimeOffset DepartureAt, DateTimeOffset ArrivalAt, int Adults, int Children,
    VehicleKind? Vehicle, CurrentSailing Sailing, bool AwaitingNewSailing, string NextStep, Language Language, string TextDirection,
    List<HistoryLine> History, List<SentMessage> Messages);

/// <summary>A message the traveller was sent (or that waits to be): its first line, in the language it was written in; the address half hidden.</summary>
/// <param name="DeliveredAt">An SMS's receipt from the gateway: on the phone.</param>
/// <param name="DeliveryFailedAt">… or given up on by the network.</param>
public record SentMessage(DateTimeOffset At, string Channel, string Text, string? To, DateTimeOffset? SentAt, DateTimeOffset? DeliveredAt, DateTimeOffset? DeliveryFailedAt);

public static class TravellerStatusEndpoint
{
    public static ProblemDetails Validate(TravellerStatusRequest request) =>
        string.IsNullOrWhiteSpace(request.BookingReference) || request.BookingReference.Length > 32
            ? Problems.BadRequest("bookingReference", "bookingReference is required.")
            : string.IsNullOrWhiteSpace(request.AccessCode) || request.AccessCode.Length > 32
                ? Problems.BadRequest("accessCode", "accessCode is required.")
                : WolverineContinue.NoProblems;

    /// <summary>
    /// A traveller's view of their crossing, with booking reference and access code, no account: the
    /// sailing it is on now (delays, berth, a move after a cancellation), what to do next, and its history.
    /// </summary>
    [WolverinePost("/api/traveller/status", OperationId = "TravellerStatus")]
    [AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(TravellerLimits.Policy)]
    [ProducesResponseType<TravellerStatusResponse>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    [ProducesResponseType<ProblemDetails>(429)]
    public static async Task<IResult> Post(
        TravellerStatusRequest request, HttpContext context, IQuerySession session, TravellerAccess access,
        IStringLocalizer<TravellerTexts> texts, TimeProvider clock, CancellationToken ct)
    {
        var (status, refused) = await ReadAsync(request, context, session, access, texts, clock.GetUtcNow(), ct);
        return status is null ? refused!.ToResult() : Results.Ok(status);
    }

    /// <summary>The traveller's view, as the API and the traveller's page show it; or why it is refused.</summary>
    public static async Task<(TravellerStatusResponse? Status, ProblemDetails? Refused)> ReadAsync(
        TravellerStatusRequest request, HttpContext context, IQuerySession session, TravellerAccess access,
        IStringLocalizer<TravellerTexts> texts, DateTimeOffset now, CancellationToken ct)
    {
        var (crossing, refused) = await access.OpenCrossingAsync(session, request.BookingReference, request.AccessCode, context, now, ct);
        if (crossing is null) return (null, refused ?? TravellerAccess.NoMatch);
        return (await ViewAsync(session, crossing, TravellerLanguage.Chosen(request.Language, context) ?? Language.en, texts, ct), null);
    }

    /// <summary>The view of a crossing whose key was already checked.</summary>
    public static async Task<TravellerStatusResponse> ViewAsync(
        IQuerySession session, Crossing crossing, Language language, IStringLocalizer<TravellerTexts> texts, CancellationToken ct)
    {
        var sailing = (await session.LoadAsync<Sailing>(crossing.SailingId, ct))!;
        var events = await session.Events.FetchStreamAsync(crossing.Id, token: ct);
        var messages = (await session.Query<Notices.Notice>().Where(n => n.CrossingId == crossing.Id).OrderByDescending(n => n.DecidedAt).ToListAsync(ct))
            .Where(n => n.Text is not null)
            .Select(n => new SentMessage(n.DecidedAt, n.Channel.ToString(), n.Text!.Split('\n')[0], Notices.Contact.Masked(n.To), n.SentAt, n.DeliveredAt, n.DeliveryFailedAt)).ToList();
        using var _ = TravellerLanguage.Use(language);
        var words = new Words(texts, TravellerLanguage.Culture(language));

        // The sailing's facts since the crossing joined it (booked on it, or moved to it).
        var joined = events.Select(e => e.Data).OfType<CrossingRebooked>().LastOrDefault()?.RebookedAt ?? crossing.BookedAt;
        var history = events.Select(e => History(e.Data, crossing, words)).OfType<HistoryLine>()
            .Concat(sailing.Notices.Where(n => n.At >= joined).Select(n => Notice(n, sailing, words)))
            .OrderBy(h => h.At).ToList();

        return new TravellerStatusResponse(
            crossing.BookingReference, crossing.Status, crossing.Direction, crossing.RouteCode,
            crossing.Origin, words.Port(crossing.Origin), crossing.Destination, words.Port(crossing.Destination),
            sailing.DepartureAt, sailing.ArrivalAt, crossing.Adults, crossing.Children, crossing.Vehicle,
            CurrentSailing.Of(sailing),
            crossing.LeftWithoutSailing, NextStep(crossing, sailing, words), language, TravellerLanguage.Direction(language), history, messages);
    }


    private static string NextStep(Crossing c, Sailing s, Words w) => c.Status switch
    {
        _ when c.LeftWithoutSailing => w["Next_AwaitingSailing"],
        CrossingStatus.Booked when s.Status == SailingStatus.Delayed => w["Next_Delayed", w.Time(s.DepartureAt, s.Origin)],
        CrossingStatus.Booked => w["Next_Booked", w.Port(s.Origin), w.Time(s.DepartureAt, s.Origin)],
        CrossingStatus.CheckedIn => w["Next_CheckedIn", w.Port(s.Origin), w.Time(s.DepartureAt, s.Origin)],
        CrossingStatus.Embarked => w["Next_Embarked", w.Port(s.Destination), w.Time(s.ArrivalAt, s.Destination)],
        CrossingStatus.Arrived => w["Next_Arrived", w.Port(c.Destination)],
        CrossingStatus.Cleared => w["Next_Cleared", w.Port(c.Destination)],
        CrossingStatus.Completed => w["Next_Completed"],
        CrossingStatus.Cancelled => w["Next_Cancelled"],
        _ => w["Next_NoShow"]
    };

    private static HistoryLine Notice(SailingNotice n, Sailing s, Words w) => n.Kind switch
    {
        SailingNoticeKind.Delayed => new(n.At, "sailing-delayed", null, w["Sailing_Delayed", w.Time(n.DepartureAt, s.Origin), w.Time(n.ArrivalAt, s.Destination)]),
        SailingNoticeKind.BerthChanged => new(n.At, "berth-changed", s.Origin, w["Sailing_BerthChanged", string.Join(", ", new[] { n.Terminal, n.Berth }.Where(x => x is not null))]),
        SailingNoticeKind.Cancelled => new(n.At, "sailing-cancelled", null, w["Sailing_Cancelled"]),
        SailingNoticeKind.Departed => new(n.At, "sailing-departed", s.Origin, w["Sailing_Departed", w.Port(s.Origin)]),
        _ => new(n.At, "sailing-arrived", s.Destination, w["Sailing_Arrived", w.Port(s.Destination)])
    };

    private static HistoryLine? History(object e, Crossing c, Words w) => e switch
    {
        CrossingBooked b => new(b.BookedAt, "booked", b.Origin, w["History_booked"]),
        CrossingCheckedIn x => new(x.CheckedInAt, "checked-in", x.Port, w["History_checked-in", w.Port(x.Port)]),
        CrossingEmbarked m => new(m.EmbarkedAt, "embarked", m.Port, w["History_embarked", w.Port(m.Port)]),
        CrossingArrived a => new(a.ArrivedAt, "arrived", a.Port, w["History_arrived", w.Port(a.Port)]),
        CrossingCleared x => new(x.ClearedAt, "cleared", x.Port, w["History_cleared", w.Port(x.Port)]),
        CrossingCompleted x => new(x.CompletedAt, "completed", null, w["History_completed"]),
        CrossingCancelled x => new(x.CancelledAt, "cancelled", null, w["History_cancelled"]),
        CrossingMarkedNoShow n => new(n.MarkedAt, "no-show", n.Port, w["History_no-show", w.Port(n.Port)]),
        CrossingRebooked r => new(r.RebookedAt, "rebooked", null,
            w[r.Reason == RebookingReason.SailingCancelled ? "History_rebooked_SailingCancelled" : "History_rebooked", w.Time(r.DepartureAt, c.Origin)]),
        CrossingLeftWithoutSailing l => new(l.At, "awaiting-new-sailing", null, w["History_awaiting-new-sailing"]),
        Privacy.TravellerDataErased erased => new(erased.At, "traveller-data-erased", null, w["History_traveller-data-erased"]),
        _ => null
    };
}

/// <summary>The traveller's texts and the culture their times are written in (each port's local time).</summary>
public sealed record Words(IStringLocalizer Texts, CultureInfo Culture)
{
    public string this[string key, params object[] args] => string.Format(Culture, Texts[key].Value, args);
    public string Time(DateTimeOffset at, string port) => TimeZoneInfo.ConvertTime(at, ReferenceData.Port(port).Zone).ToString("g", Culture);
    public string Port(string code) => ReferenceData.Port(code).NameIn(Culture);
}
