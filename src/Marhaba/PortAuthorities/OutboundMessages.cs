using System.Net.Http.Json;
using System.Text.Json;
using Marhaba.Crossings;
using Marhaba.Planning;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;

namespace Marhaba.PortAuthorities;

public record SendDepartureReport(Guid SailingId);
public record SendArrivalConfirmation(Guid SailingId);
public record SendDailyFigures(DateOnly Day);

/// <summary>
/// Builds each message from the projections and delivers it through the resilient client, keyed so
/// that the authority applies a repeat once. Runs from Wolverine's durable queues: a failed delivery
/// is retried later, and one the authority refuses ends in the dead letters.
/// </summary>
public static class OutboundMessagesHandler
{
    private static readonly CrossingStatus[] Aboard = [CrossingStatus.CheckedIn, CrossingStatus.Embarked, CrossingStatus.Arrived, CrossingStatus.Cleared, CrossingStatus.Completed];

    public static async Task Handle(SendDepartureReport message, IQuerySession session, IHttpClientFactory http, TimeProvider clock, CancellationToken ct)
    {
        var sailing = await session.LoadAsync<Sailing>(message.SailingId, ct)
                      ?? throw new AuthorityRejectedMessageException($"No sailing {message.SailingId} to report.");
        var crossings = await session.Query<Crossing>().Where(c => c.SailingId == sailing.Id).ToListAsync(ct);
        var aboard = crossings.Where(c => Aboard.Contains(c.Status)).ToList();
        var report = new DepartureReport(sailing.Id, sailing.Vessel, sailing.Operator, sailing.Origin, sailing.Destination, sailing.DepartureAt,
            aboard.Sum(c => c.Passengers), aboard.Sum(c => c.Adults), aboard.Sum(c => c.Children), aboard.Count(c => c.Vehicle is not null),
            aboard.Where(c => c.Vehicle is not null).GroupBy(c => c.Vehicle!.Value.ToString()).ToDictionary(g => g.Key, g => g.Count()),
            aboard.Count, clock.GetUtcNow());
        await DeliverAsync(http, AuthorityProtocol.DepartureReportsPath, $"departure-report:{sailing.Id}", report, ct);
    }

    public static async Task Handle(SendArrivalConfirmation message, IQuerySession session, IHttpClientFactory http, TimeProvider clock, CancellationToken ct)
    {
        var sailing = await session.LoadAsync<Sailing>(message.SailingId, ct)
                      ?? throw new AuthorityRejectedMessageException($"No sailing {message.SailingId} to confirm.");
        var arrived = await session.Query<Crossing>()
            .Where(c => c.SailingId == sailing.Id && (c.Status == CrossingStatus.Arrived || c.Status == CrossingStatus.Cleared || c.Status == CrossingStatus.Completed))
            .ToListAsync(ct);
        var confirmation = new ArrivalConfirmation(sailing.Id, sailing.Vessel, sailing.Origin, sailing.Destination, sailing.ArrivalAt,
            arrived.Sum(c => c.Passengers), arrived.Count(c => c.Vehicle is not null), clock.GetUtcNow());
        await DeliverAsync(http, AuthorityProtocol.ArrivalConfirmationsPath, $"arrival-confirmation:{sailing.Id}", confirmation, ct);
    }

    /// <summary>Counts per port and direction on the lines of the authority's ports; nothing about any person.</summary>
    public static async Task Handle(SendDailyFigures message, IQuerySession session, IHttpClientFactory http, PortAuthorityOptions authority, TimeProvider clock, CancellationToken ct)
    {
        await DeliverAsync(http, AuthorityProtocol.DailyFiguresPath, $"daily-figures:{message.Day:yyyy-MM-dd}",
            await DailyFiguresOf(session, authority, message.Day, clock.GetUtcNow(), ct), ct);
    }

    public static async Task<DailyFigures> DailyFiguresOf(IQuerySession session, PortAuthorityOptions authority, DateOnly day, DateTimeOffset now, CancellationToken ct)
    {
        // The day is each arrival port's local day, as in every other view.
        var seasons = await session.Query<SeasonTotals>().Where(t => t.Year == day.Year).ToListAsync(ct);
        var index = day.DayOfYear - 1;
        var figures = new List<DailyPortFigure>();
        foreach (var (key, counts) in seasons.SelectMany(s => s.Routes))
        {
            var parts = key.Split(' ');
            if (!ReferenceData.TryGetRoute(parts[0], out var route) || !authority.Governs(route.EuropeanPort)) continue;
            var direction = Enum.Parse<Direction>(parts[1]);
            if (counts.Crossings[index] == 0) continue;
            figures.Add(new DailyPortFigure(route.DestinationFor(direction), direction.ToString(), counts.Crossings[index], counts.Passengers[index], counts.Vehicles[index]));
        }
        var merged = figures.GroupBy(f => (f.Port, f.Direction))
            .Select(g => new DailyPortFigure(g.Key.Port, g.Key.Direction, g.Sum(f => f.Crossings), g.Sum(f => f.Persons), g.Sum(f => f.Vehicles)))
            .OrderBy(f => f.Port).ThenBy(f => f.Direction).ToList();
        return new DailyFigures(day, merged, now);
    }

    private static async Task DeliverAsync<T>(IHttpClientFactory http, string path, string key, T body, CancellationToken ct)
    {
        var client = http.CreateClient(PortAuthorityLink.ClientName);
        if (client.BaseAddress is null) return; // no authority linked: nothing to deliver
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: JsonOptions) };
        request.Headers.Add(AuthorityProtocol.IdempotencyHeader, key);
        using var response = await client.SendAsync(request, ct);
        if ((int)response.StatusCode >= 500) throw new AuthorityUnavailableException($"The port authority answered {(int)response.StatusCode} for {key}.");
        if (!response.IsSuccessStatusCode)
            throw new AuthorityRejectedMessageException($"The port authority refused {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() }
    };
}

/// <summary>
/// Once a day (once in the cluster), at 00:30 in Morocco, the day that has just ended there, for the joint migration
/// group; the authority applies a repeat once. Days missed while no node was up are sent when one is, each once.
/// </summary>
public sealed class DailyFiguresSchedule(PortAuthorityOptions authority) : Hosting.RecurringJob("marhaba-daily-figures")
{
    public static readonly TimeOnly SendAt = new(0, 30);

    public override DateTimeOffset FirstDue(DateTimeOffset now) => NextDue(now);

    /// <summary>The next 00:30 in Morocco after <paramref name="now"/>: today's when it is not yet 00:30 there.</summary>
    public override DateTimeOffset NextDue(DateTimeOffset now)
    {
        var home = ReferenceData.Home;
        var day = home.LocalDay(now);
        DateTimeOffset At(DateOnly d)
        {
            var local = d.ToDateTime(SendAt);
            return new DateTimeOffset(local, home.Zone.GetUtcOffset(local));
        }
        return At(day) > now ? At(day) : At(day.AddDays(1));
    }

    /// <summary>Every ended day not sent yet: from the one this run is for to the one before the next run's.</summary>
    public override Task RunAsync(IDocumentSession session, DateTimeOffset due, DateTimeOffset? previousDue, DateTimeOffset now, Wolverine.OutgoingMessages messages, CancellationToken ct)
    {
        if (!authority.Linked) return Task.CompletedTask;
        var home = ReferenceData.Home;
        var last = home.LocalDay(NextDue(now)).AddDays(-2);
        for (var day = home.LocalDay(due).AddDays(-1); day <= last; day = day.AddDays(1)) messages.Add(new SendDailyFigures(day));
        return Task.CompletedTask;
    }
}
