using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marhaba.PortAuthorities;

namespace Marhaba.PortAuthority;

/// <summary>
/// A stand-in for an Italian port authority's system, for development, the demo and the tests: it
/// receives Marhaba's messages (applying each idempotency key once and keeping what it received),
/// sends signed notifications to Marhaba, and misbehaves on demand (latency, errors, outages,
/// answers after the client gave up).
/// </summary>
public static class StandInAuthority
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddSingleton<Inbox>();
        builder.Services.AddSingleton<Faults>();
        builder.Services.AddHttpClient("marhaba");
        builder.Services.AddHostedService<ScheduledNotifications>();
        configure?.Invoke(builder);

        var app = builder.Build();
        var config = app.Configuration;
        var authorityId = config["Authority:Id"] ?? "IT-ADSP-MLO";
        var secret = config["Authority:Secret"]
                     ?? throw new InvalidOperationException("Authority:Secret must be set (the secret shared with Marhaba for signing notifications).");

        // Marhaba's messages: faults first, then the idempotency key, then keep it.
        foreach (var (path, kind) in new[] { (AuthorityProtocol.DepartureReportsPath, "departure-report"), (AuthorityProtocol.ArrivalConfirmationsPath, "arrival-confirmation"), (AuthorityProtocol.DailyFiguresPath, "daily-figures") })
        {
            app.MapPost(path, async (HttpContext context, Inbox inbox, Faults faults) =>
            {
                if (await faults.ApplyAsync(context) is { } failure) return failure;
                if (context.Request.Headers[AuthorityProtocol.IdempotencyHeader].ToString() is not { Length: > 0 } key)
                    return Results.Problem(statusCode: 400, detail: $"{AuthorityProtocol.IdempotencyHeader} is required.");
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                try { JsonDocument.Parse(body).Dispose(); }
                catch (JsonException) { return Results.Problem(statusCode: 400, detail: "The body is not JSON."); }
                return Results.Ok(inbox.Receive(kind, key, body));
            });
        }

        app.MapGet("/received", (string? kind, Inbox inbox) => inbox.List(kind));
        app.MapGet("/received/stats", (Inbox inbox) => inbox.Stats());
        app.MapDelete("/received", (Inbox inbox) => { inbox.Clear(); return Results.NoContent(); });

        app.MapGet("/faults", (Faults faults) => faults.Current);
        app.MapPost("/faults", (FaultSettings settings, Faults faults) => { faults.Set(settings); return faults.Current; });
        app.MapDelete("/faults", (Faults faults) => { faults.Set(new FaultSettings(0, 0, 0, 0)); return Results.NoContent(); });

        // Notifications to Marhaba, on demand: the body is sent signed as the authority would.
        app.MapPost("/notify", async (AuthorityNotification notification, IHttpClientFactory http) =>
        {
            var (status, answer) = await Notifier.SendAsync(http, config, authorityId, secret, notification);
            return Results.Json(new { status, answer }, statusCode: 200);
        });
        return app;
    }
}

public static class Notifier
{
    public static async Task<(int Status, string Answer)> SendAsync(IHttpClientFactory http, IConfiguration config, string authorityId, string secret, AuthorityNotification notification)
    {
        var baseUrl = config["Marhaba:BaseUrl"] ?? "http://localhost:5080";
        var complete = notification with
        {
            MessageId = notification.MessageId ?? Guid.NewGuid().ToString("N"),
            OccurredAt = notification.OccurredAt ?? DateTimeOffset.UtcNow
        };
        var body = JsonSerializer.Serialize(complete, Json.Options);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl.TrimEnd('/') + AuthorityProtocol.NotificationsPath)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json")
        };
        request.Headers.Add(AuthorityProtocol.AuthorityHeader, authorityId);
        request.Headers.Add(AuthorityProtocol.TimestampHeader, timestamp.ToString());
        request.Headers.Add(AuthorityProtocol.SignatureHeader, AuthorityProtocol.Sign(secret, timestamp, body));
        using var response = await http.CreateClient("marhaba").SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}

public record ReceivedMessage(string Kind, string IdempotencyKey, DateTimeOffset ReceivedAt, int Deliveries, JsonElement Body);

public record InboxStats(int Received, int Deliveries, int Duplicates, Dictionary<string, int> ByKind);

/// <summary>What the authority received: each idempotency key applied once; repeats only counted.</summary>
public sealed class Inbox
{
    private readonly ConcurrentDictionary<string, ReceivedMessage> _messages = new();

    public Receipt Receive(string kind, string key, string body)
    {
        var now = DateTimeOffset.UtcNow;
        var duplicate = true;
        var kept = _messages.AddOrUpdate(key,
            _ => { duplicate = false; return new ReceivedMessage(kind, key, now, 1, JsonDocument.Parse(body).RootElement.Clone()); },
            (_, existing) => existing with { Deliveries = existing.Deliveries + 1 });
        return new Receipt(key, duplicate, kept.ReceivedAt);
    }

    public List<ReceivedMessage> List(string? kind) =>
        _messages.Values.Where(m => kind is null || m.Kind == kind).OrderBy(m => m.ReceivedAt).ToList();

    public InboxStats Stats()
    {
        var all = _messages.Values.ToList();
        return new InboxStats(all.Count, all.Sum(m => m.Deliveries), all.Sum(m => m.Deliveries - 1),
            all.GroupBy(m => m.Kind).ToDictionary(g => g.Key, g => g.Count()));
    }

    public void Clear() => _messages.Clear();

    /// <summary>The sailings reported to the authority, with their departure time.</summary>
    public IEnumerable<(Guid SailingId, DateTimeOffset DepartureAt)> KnownSailings() =>
        List("departure-report").Select(m => (m.Body.GetProperty("sailingId").GetGuid(), m.Body.GetProperty("departureAt").GetDateTimeOffset()));
}

/// <param name="LatencyMs">Added before every answer.</param>
/// <param name="ErrorRate">Share of requests answered 500, 0 to 1.</param>
/// <param name="OutageSeconds">From now, every request is answered 503 for this long.</param>
/// <param name="HangMs">Answer only after this long, typically after the client has given up.</param>
public record FaultSettings(int LatencyMs, double ErrorRate, int OutageSeconds, int HangMs);

public record FaultState(int LatencyMs, double ErrorRate, DateTimeOffset? DownUntil, int HangMs);

public sealed class Faults
{
    private volatile FaultState _state = new(0, 0, null, 0);

    public FaultState Current => _state;

    public void Set(FaultSettings s) =>
        _state = new FaultState(Math.Max(0, s.LatencyMs), Math.Clamp(s.ErrorRate, 0, 1),
            s.OutageSeconds > 0 ? DateTimeOffset.UtcNow.AddSeconds(s.OutageSeconds) : null, Math.Max(0, s.HangMs));

    public async Task<IResult?> ApplyAsync(HttpContext context)
    {
        var state = _state;
        if (state.DownUntil is { } until && DateTimeOffset.UtcNow < until)
            return Results.Problem(statusCode: 503, detail: $"Out of service until {until:O}.");
        if (state.LatencyMs > 0) await Task.Delay(state.LatencyMs);
        if (state.HangMs > 0) await Task.Delay(state.HangMs);
        if (state.ErrorRate > 0 && Random.Shared.NextDouble() < state.ErrorRate)
            return Results.Problem(statusCode: 500, detail: "Injected failure.");
        return null;
    }
}

/// <summary>For the demo: now and then, a sailing the authority knows of (from a departure report) is delayed.</summary>
public sealed class ScheduledNotifications(IConfiguration config, IHttpClientFactory http, Inbox inbox, ILogger<ScheduledNotifications> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = config.GetValue("Demo:NotifyEverySeconds", 0);
        if (every <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(every));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var (sailing, departureAt) = inbox.KnownSailings().OrderBy(_ => Random.Shared.Next()).FirstOrDefault();
            if (sailing == Guid.Empty) continue;
            try
            {
                var (status, _) = await Notifier.SendAsync(http, config, config["Authority:Id"] ?? "IT-ADSP-MLO", config["Authority:Secret"]!,
                    new AuthorityNotification(null, NotificationType.SailingDelayed, sailing, null, null, null, null,
                        departureAt.AddMinutes(Random.Shared.Next(30, 180)), null, "Weather in the Ligurian Sea", null, null, null, null));
                logger.LogInformation("Notified a delay of sailing {Sailing}: {Status}", sailing, status);
            }
            catch (HttpRequestException e)
            {
                logger.LogWarning("Marhaba unreachable: {Message}", e.Message);
            }
        }
    }
}
