using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Marten.Events.Projections;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Assistance;

/// <summary>How long requests waited to be acknowledged and resolved, on one day (the place's local day). Id: "2026-07-28".</summary>
public class AssistanceTimes
{
    public string Id { get; set; } = "";
    public List<AssistanceDuration> Durations { get; set; } = [];

    public static string Key(string place, DateTimeOffset at) => Places.LocalDay(place, at).ToString("yyyy-MM-dd");
}

public record AssistanceDuration(TimeLimit Kind, AssistanceCategory Category, string Place, double Seconds);

public partial class AssistanceTimesProjection : MultiStreamProjection<AssistanceTimes, string>
{
    public AssistanceTimesProjection()
    {
        DashboardProjections.Tune(Options);
        Identity<AssistanceRequestAcknowledged>(e => AssistanceTimes.Key(e.Place, e.At));
        Identity<AssistanceRequestResolved>(e => AssistanceTimes.Key(e.Place, e.At));
    }

    public void Apply(AssistanceTimes view, AssistanceRequestAcknowledged e)
    {
        view.Id = AssistanceTimes.Key(e.Place, e.At);
        view.Durations.Add(new AssistanceDuration(TimeLimit.Acknowledge, e.Category, e.Place, e.SecondsSinceOpened));
    }

    public void Apply(AssistanceTimes view, AssistanceRequestResolved e)
    {
        view.Id = AssistanceTimes.Key(e.Place, e.At);
        view.Durations.Add(new AssistanceDuration(TimeLimit.Resolve, e.Category, e.Place, e.SecondsSinceOpened));
    }
}

public record OpenRequestLine(
    Guid RequestId, string Reference, AssistanceCategory Category, Urgency Urgency, string Place, AssistanceStatus Status, string? Agent,
    DateTimeOffset OpenedAt, DateTimeOffset AcknowledgeBy, DateTimeOffset ResolveBy, bool Overdue, List<TimeLimit> Escalations);

public record Durations(int Count, double? MedianMinutes, double? P90Minutes);

public record TimesLine(AssistanceCategory Category, string Place, Durations AcknowledgeToday, Durations ResolveToday, Durations AcknowledgeSeason, Durations ResolveSeason);

public record AssistanceBoardView(
    DateTimeOffset AsOf, List<OpenRequestLine> Open, Dictionary<string, int> OpenByPlace, Dictionary<string, int> OpenByCategory,
    Dictionary<string, int> OpenByUrgency, int Overdue, List<TimesLine> Times);

public static class AssistanceBoardEndpoints
{
    /// <summary>
    /// Open requests by place, category and urgency, overdue first; time to acknowledge and to resolve
    /// (median, 90th percentile) per category and place, today and season to date. Agents see their places.
    /// </summary>
    [WolverineGet("/api/assistance/board", OperationId = "AssistanceBoard")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceBoardView>(200)]
    public static async Task<IResult> Board(string? place, IQuerySession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        if (place is not null && Places.Normalise(place) is null)
            return Problems.BadRequest("place", "place is a port's UN/LOCODE (e.g. MAPTM) or SAILING:<sailing id>.").ToResult();
        return Results.Ok(await ReadAsync(session, user, place, clock.GetUtcNow(), ct));
    }

    /// <summary>The board as the API and the agents' page show it: only the places of <paramref name="user"/>.</summary>
    public static async Task<AssistanceBoardView> ReadAsync(IQuerySession session, ClaimsPrincipal user, string? place, DateTimeOffset now, CancellationToken ct)
    {
        var open = (await session.Query<AssistanceRequest>()
                .Where(r => r.Status == AssistanceStatus.Opened || r.Status == AssistanceStatus.Acknowledged || r.Status == AssistanceStatus.Assigned)
                .ToListAsync(ct))
            .Where(r => user.CanActAt(r.Board) && (place is null || r.Board == Places.Normalise(place) || r.Place == Places.Normalise(place)))
            .ToList();
        var lines = Ordered(open, now).Select(r => Line(r, now)).ToList();

        // Today is each place's own local day; the season, the year to it.
        var latest = ReferenceData.Ports.Max(p => p.LocalDay(now));
        var seasonStart = new DateOnly(latest.Year, 1, 1);
        var ids = Enumerable.Range(0, latest.DayNumber - seasonStart.DayNumber + 1).Select(d => seasonStart.AddDays(d).ToString("yyyy-MM-dd"));
        var days = await session.LoadManyAsync<AssistanceTimes>(ct, ids);
        var season = days.SelectMany(d => d.Durations.Select(x => (Today: d.Id == AssistanceTimes.Key(x.Place, now), x)))
            .Where(t => user.CanActAt(t.x.Place) && (place is null || t.x.Place == Places.Normalise(place))).ToList();
        var times = season.GroupBy(t => (t.x.Category, t.x.Place)).OrderBy(g => g.Key.Place).ThenBy(g => g.Key.Category)
            .Select(g => new TimesLine(g.Key.Category, g.Key.Place,
                Stats(g.Where(t => t.Today && t.x.Kind == TimeLimit.Acknowledge).Select(t => t.x.Seconds)),
                Stats(g.Where(t => t.Today && t.x.Kind == TimeLimit.Resolve).Select(t => t.x.Seconds)),
                Stats(g.Where(t => t.x.Kind == TimeLimit.Acknowledge).Select(t => t.x.Seconds)),
                Stats(g.Where(t => t.x.Kind == TimeLimit.Resolve).Select(t => t.x.Seconds)))).ToList();

        return new AssistanceBoardView(now, lines,
            open.GroupBy(r => r.Board).ToDictionary(g => g.Key, g => g.Count()),
            open.GroupBy(r => r.Category.ToString()).ToDictionary(g => g.Key, g => g.Count()),
            open.GroupBy(r => r.Urgency.ToString()).ToDictionary(g => g.Key, g => g.Count()),
            lines.Count(l => l.Overdue), times);
    }

    /// <summary>An agent's queue: the open requests of their places and those assigned to them, overdue first.</summary>
    [WolverineGet("/api/assistance/queue", OperationId = "AgentQueue")]
    [Authorize(Policy = Policies.Agent)]
    public static async Task<List<OpenRequestLine>> Queue(IQuerySession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var me = user.StaffId();
        var open = await session.Query<AssistanceRequest>()
            .Where(r => r.Status == AssistanceStatus.Opened || r.Status == AssistanceStatus.Acknowledged || r.Status == AssistanceStatus.Assigned)
            .ToListAsync(ct);
        return Ordered(open.Where(r => r.Agent == me || (user.CanActAt(r.Board) && (r.Agent is null || r.Agent == me))), now)
            .Select(r => Line(r, now)).ToList();
    }

    /// <summary>One request as an agent of its place sees it, with its description, notes and contact.</summary>
    [WolverineGet("/api/assistance/{requestId}", OperationId = "GetAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestDetails>(200)]
    public static async Task<IResult> Get(Guid requestId, IQuerySession session, ClaimsPrincipal user, CancellationToken ct)
    {
        var request = await session.LoadAsync<AssistanceRequest>(requestId, ct);
        if (request is null) return Problems.NotFound($"No assistance request {requestId}.").ToResult();
        if (AssistanceRules.CanActOn(request, user) is { } forbidden) return forbidden.ToResult();
        var text = await session.LoadAsync<AssistanceText>(requestId, ct);
        var contact = await session.LoadAsync<AssistanceContact>(requestId, ct);
        return Results.Ok(new AssistanceRequestDetails(request, text?.Description, text?.Notes ?? [], contact is null ? null : new ContactDetails(contact.Name, contact.Phone, contact.Email)));
    }

    private static IEnumerable<AssistanceRequest> Ordered(IEnumerable<AssistanceRequest> requests, DateTimeOffset now) =>
        requests.OrderByDescending(r => r.Overdue(now)).ThenBy(r => r.Urgency).ThenBy(r => r.OpenedAt);

    private static OpenRequestLine Line(AssistanceRequest r, DateTimeOffset now) =>
        new(r.Id, r.Reference, r.Category, r.Urgency, r.Place, r.Status, r.Agent, r.OpenedAt, r.AcknowledgeBy, r.ResolveBy, r.Overdue(now), r.Escalations);

    /// <summary>Median and 90th percentile (nearest rank), in minutes.</summary>
    public static Durations Stats(IEnumerable<double> seconds)
    {
        var sorted = seconds.Order().ToArray();
        if (sorted.Length == 0) return new Durations(0, null, null);
        double Rank(double p) => Math.Round(Statistics.Percentile(sorted, p) / 60, 1);
        return new Durations(sorted.Length, Rank(0.5), Rank(0.9));
    }
}

public record AssistanceRequestDetails(AssistanceRequest Request, string? Description, List<AssistanceNote> Notes, ContactDetails? Contact);
