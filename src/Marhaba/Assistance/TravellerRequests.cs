using System.Globalization;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Marhaba.Assistance;

/// <summary>Marker type of the traveller texts (TravellerTexts.resx and its ar, fr and it translations).</summary>
public sealed class TravellerTexts;

/// <summary>A booking reference with its access code, or a request reference with its own code.</summary>
public record TravellerKey(string? Reference, string? AccessCode, Language? Language);

public record TravellerRequestView(
    string Reference, string Category, AssistanceStatus Status, string StatusText, string HandledBy, DateTimeOffset OpenedAt,
    DateTimeOffset LastUpdateAt, string Message, List<TravellerNote> Notes);

public record TravellerNote(DateTimeOffset At, string Text);

public record TravellerRequestsView(Language Language, string Direction, List<TravellerRequestView> Requests);

/// <summary>Finds what a traveller's key opens: the requests of a booking, or one request without a booking.</summary>
public static class TravellerRequests
{
    public static async Task<(List<AssistanceRequest>? Requests, ProblemDetails? Refused)> FindAsync(
        IQuerySession session, TravellerAccess access, TravellerKey key, HttpContext context, DateTimeOffset now, CancellationToken ct)
    {
        var (owner, refused) = await access.OpenAsync(session, key.Reference, key.AccessCode, TravellerAccess.Client(context), now, ct);
        if (refused is not null) return (null, refused);
        if (await session.LoadAsync<AssistanceRequest>(owner, ct) is { } request) return ([request], null);
        return (await OfCrossingAsync(session, owner, ct), null);
    }

    public static async Task<List<AssistanceRequest>> OfCrossingAsync(IQuerySession session, Guid crossingId, CancellationToken ct) =>
        (await session.Query<AssistanceRequest>().Where(r => r.CrossingId == crossingId).ToListAsync(ct)).OrderBy(r => r.OpenedAt).ToList();

    public static ProblemDetails ValidateKey(TravellerKey key) =>
        string.IsNullOrWhiteSpace(key.Reference) || key.Reference.Length > 32 ? Problems.BadRequest("reference", "reference (booking or request reference) is required.")
        : string.IsNullOrWhiteSpace(key.AccessCode) || key.AccessCode.Length > 32 ? Problems.BadRequest("accessCode", "accessCode is required.")
        : WolverineContinue.NoProblems;
}

/// <summary>The four languages travellers read: which one a request wants, its culture and its writing direction.</summary>
public static class TravellerLanguage
{
    /// <summary>The language asked for, else the first of Accept-Language we speak, else null.</summary>
    public static Language? Chosen(Language? asked, HttpContext context)
    {
        if (asked is not null) return asked;
        foreach (var value in context.Request.GetTypedHeaders().AcceptLanguage.OrderByDescending(l => l.Quality ?? 1))
        {
            var tag = value.Value.Value?.Split('-')[0].ToLowerInvariant();
            if (Enum.TryParse<Language>(tag, out var language) && Enum.IsDefined(language)) return language;
        }
        return null;
    }

    /// <summary>Moroccan Arabic's culture for Arabic: Gregorian dates and the digits used in Morocco.</summary>
    public static CultureInfo Culture(Language language) => CultureInfo.GetCultureInfo(language switch
    {
        Language.ar => "ar-MA", Language.fr => "fr-FR", Language.it => "it-IT", _ => "en-GB"
    });

    public static string Direction(Language language) => language == Language.ar ? "rtl" : "ltr";

    /// <summary>Texts in <paramref name="language"/> until disposed (the localizer reads the current UI culture).</summary>
    public static IDisposable Use(Language language)
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = Culture(language);
        return new Restore(previous);
    }

    private sealed class Restore(CultureInfo previous) : IDisposable
    {
        public void Dispose() => CultureInfo.CurrentUICulture = previous;
    }
}

public static class TravellerRequestsEndpoint
{
    public static ProblemDetails Validate(TravellerKey key) => TravellerRequests.ValidateKey(key);

    /// <summary>A traveller follows their requests: status, who has it, the last update, in Arabic, French, Italian or English.</summary>
    [WolverinePost("/api/traveller/requests", OperationId = "TravellerRequests")]
    [AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(TravellerLimits.Policy)]
    [ProducesResponseType<TravellerRequestsView>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Post(
        TravellerKey key, HttpContext context, IQuerySession session, TravellerAccess access, IStringLocalizer<TravellerTexts> texts, TimeProvider clock, CancellationToken ct)
    {
        var (view, refused) = await ReadAsync(key, context, session, access, texts, clock.GetUtcNow(), ct);
        return view is null ? refused!.ToResult() : Results.Ok(view);
    }

    /// <summary>A traveller's requests, as the API and the traveller's page show them; or why they are refused.</summary>
    public static async Task<(TravellerRequestsView? View, ProblemDetails? Refused)> ReadAsync(
        TravellerKey key, HttpContext context, IQuerySession session, TravellerAccess access, IStringLocalizer<TravellerTexts> texts, DateTimeOffset now, CancellationToken ct)
    {
        var (requests, refused) = await TravellerRequests.FindAsync(session, access, key, context, now, ct);
        if (refused is not null) return (null, refused);
        var language = TravellerLanguage.Chosen(key.Language, context) ?? requests!.FirstOrDefault()?.Language ?? Language.en;
        return (await ViewAsync(session, requests!, language, texts, ct), null);
    }

    /// <summary>The view of requests whose key was already checked.</summary>
    public static async Task<TravellerRequestsView> ViewAsync(
        IQuerySession session, IReadOnlyList<AssistanceRequest> requests, Language language, IStringLocalizer<TravellerTexts> texts, CancellationToken ct)
    {
        var notes = (await session.LoadManyAsync<AssistanceText>(ct, requests.Select(r => r.Id))).ToDictionary(t => t.Id);
        using var _ = TravellerLanguage.Use(language);
        var views = requests.Select(r => View(r, notes.GetValueOrDefault(r.Id), texts, TravellerLanguage.Culture(language))).ToList();
        return new TravellerRequestsView(language, TravellerLanguage.Direction(language), views);
    }

    private static TravellerRequestView View(AssistanceRequest r, AssistanceText? text, IStringLocalizer texts, CultureInfo culture)
    {
        var place = r.Place.StartsWith(Places.AboardPrefix) ? texts["Place_Aboard"].Value
            : ReferenceData.TryGetPort(r.Place, out var port) ? port.Name : r.Place;
        var handledBy = string.Format(culture, texts[r.Agent is null ? "HandledBy_Team" : "HandledBy_Agent"].Value, place);
        var message = r.Status switch
        {
            AssistanceStatus.Opened when r.Escalations.Count > 0 => texts["Message_Escalated"].Value,
            AssistanceStatus.Opened => string.Format(culture, texts["Message_Opened"].Value, r.AcknowledgeBy.ToString("g", culture) + " UTC"),
            AssistanceStatus.Resolved => string.Format(culture, texts["Message_Resolved"].Value, texts[$"Outcome_{r.Outcome}"].Value),
            AssistanceStatus.Closed => texts["Message_Closed"].Value,
            AssistanceStatus.Cancelled => texts["Message_Cancelled"].Value,
            _ when r.Escalations.Count > 0 => texts["Message_Escalated"].Value,
            _ => texts["Message_InHand"].Value
        };
        var notes = (text?.Notes ?? []).Where(n => n.VisibleToTraveller).Select(n => new TravellerNote(n.At, n.Text)).ToList();
        return new TravellerRequestView(r.Reference, texts[$"Category_{r.Category}"].Value, r.Status, texts[$"Status_{r.Status}"].Value,
            handledBy, r.OpenedAt, r.LastUpdateAt, message, notes);
    }
}

public record TravellerRequestAction(string? Reference, string? AccessCode);

/// <summary>The traveller reopens a resolved request (within 7 days) or cancels an open one.</summary>
public static class TravellerActsOnRequestEndpoint
{
    public static ProblemDetails Validate(TravellerRequestAction action) => TravellerRequests.ValidateKey(new TravellerKey(action.Reference, action.AccessCode, null));

    [WolverinePost("/api/traveller/requests/{requestReference}/reopen", OperationId = "TravellerReopensRequest")]
    [AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(TravellerLimits.Policy)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, OutgoingMessages)> Reopen(
        string requestReference, TravellerRequestAction action, HttpContext context, IDocumentSession session, TravellerAccess access, TimeProvider clock, CancellationToken ct) =>
        ActAsync(requestReference, action, context, session, access, clock, ct, r => AssistanceRules.Reopen(r, clock.GetUtcNow()));

    [WolverinePost("/api/traveller/requests/{requestReference}/cancel", OperationId = "TravellerCancelsRequest")]
    [AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(TravellerLimits.Policy)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, OutgoingMessages)> Cancel(
        string requestReference, TravellerRequestAction action, HttpContext context, IDocumentSession session, TravellerAccess access, TimeProvider clock, CancellationToken ct) =>
        ActAsync(requestReference, action, context, session, access, clock, ct, r => AssistanceRules.Cancel(r, clock.GetUtcNow()));

    private static async Task<(IResult, OutgoingMessages)> ActAsync(string requestReference, TravellerRequestAction action, HttpContext context,
        IDocumentSession session, TravellerAccess access, TimeProvider clock, CancellationToken ct, Func<AssistanceRequest, Decision> decide)
    {
        var (mine, refused) = await TravellerRequests.FindAsync(session, access, new TravellerKey(action.Reference, action.AccessCode, null), context, clock.GetUtcNow(), ct);
        if (refused is not null) return (refused.ToResult(), []);
        var target = mine?.FirstOrDefault(r => r.Reference == Codes.Normalise(requestReference));
        if (target is null) return (TravellerAccess.NoMatch.ToResult(), []);

        // Found through the traveller's key, not named in the route: the stream is fetched here, then the same shape as an agent's action.
        var stream = await session.Events.FetchForWriting<AssistanceRequest>(target.Id, ct);
        var decision = decide(stream.Aggregate!);
        var (answer, events) = await session.AnswerAsync(stream.Aggregate!, decision, AssistanceRequestChanged.Of, ct);
        stream.AppendMany(events);
        return (answer, AssistanceRules.ChecksAfter(target.Id, acknowledged: true, decision.Event));
    }
}

/// <summary>A traveller cancels one of their requests from their page, the key already checked there.</summary>
public record CancelRequestFromTravellerPage(Guid CrossingId, Guid AssistanceRequestId);

/// <summary>The request as the cancel left it; none when it was not the traveller's to cancel, or no longer open.</summary>
public record CancelledFromPage(AssistanceRequestChanged? Changed);

public static class CancelRequestFromTravellerPageHandler
{
    public static async Task<(CancelledFromPage, Events)> Handle(
        CancelRequestFromTravellerPage command, [WriteAggregate] AssistanceRequest request, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        // Only a request of the crossing whose key opened the page.
        if (request.CrossingId != command.CrossingId || AssistanceRules.Cancel(request, clock.GetUtcNow()).Event is not { } cancelled) return (new(null), []);
        return (new(AssistanceRequestChanged.Of(await session.AfterAsync(request, cancelled, ct))), [cancelled]);
    }
}
