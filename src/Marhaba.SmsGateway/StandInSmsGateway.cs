using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Marhaba.Notices;

namespace Marhaba.SmsGateway;

/// <summary>
/// A stand-in for an SMS gateway, for development, the demo and the tests: it takes messages with an API key and an
/// idempotency key (the same key twice is one message), limits the rate of each account, sends signed delivery
/// receipts to the callback URL, keeps what "the phones" received for anyone to read, and misbehaves on demand
/// (latency, errors, garbage answers, outages, duplicate receipts).
/// </summary>
public static partial class StandInSmsGateway
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddSingleton<Phones>();
        builder.Services.AddSingleton<GatewayFaults>();
        builder.Services.AddSingleton<Receipts>();
        builder.Services.AddHostedService(s => s.GetRequiredService<Receipts>());
        builder.Services.AddHttpClient("receipts", c => c.Timeout = TimeSpan.FromSeconds(5));
        configure?.Invoke(builder);

        var app = builder.Build();
        var apiKey = app.Configuration["Gateway:ApiKey"]
                     ?? throw new InvalidOperationException("Gateway:ApiKey must be set (the key Marhaba sends with and receipts are signed with).");
        var perSecond = app.Configuration.GetValue("Gateway:MessagesPerSecond", 50);
        var limiter = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = perSecond, Window = TimeSpan.FromSeconds(1), QueueLimit = 0 });

        app.MapPost(SmsProtocol.MessagesPath, async (HttpContext context, Phones phones, GatewayFaults faults, Receipts receipts) =>
        {
            if (context.Request.Headers.Authorization.ToString() != $"Bearer {apiKey}")
                return Results.Problem(statusCode: 401, detail: "Unknown API key.");
            using (var lease = limiter.AttemptAcquire())
            {
                if (!lease.IsAcquired)
                {
                    phones.Throttled();
                    context.Response.Headers.RetryAfter = "1";
                    return Results.Problem(statusCode: 429, detail: $"At most {perSecond} messages a second.");
                }
            }
            if (await faults.ApplyAsync() is { } failure) return failure;
            if (context.Request.Headers[SmsProtocol.IdempotencyHeader].ToString() is not { Length: > 0 and <= 100 } key)
                return Results.Problem(statusCode: 400, detail: $"{SmsProtocol.IdempotencyHeader} is required (at most 100 characters).");
            SmsSubmission? sms;
            try { sms = await JsonSerializer.DeserializeAsync<SmsSubmission>(context.Request.Body, Json.Options); }
            catch (JsonException) { return Results.Problem(statusCode: 400, detail: "The body is not a message."); }
            if (sms is null || !E164().IsMatch(sms.To ?? "")) return Results.Problem(statusCode: 400, detail: "to is not a number in E.164 (+212612345678).");
            if (string.IsNullOrEmpty(sms.Text) || sms.Text.Length > 1600) return Results.Problem(statusCode: 400, detail: "text is empty or longer than 1,600 characters.");

            var (kept, first) = phones.Receive(key, sms);
            if (first && sms.CallbackUrl is { Length: > 0 } callback) receipts.Enqueue(callback, kept, faults.Current.DuplicateReceiptRate);
            if (faults.Current.HangMs > 0) await Task.Delay(faults.Current.HangMs, context.RequestAborted);
            return Results.Json(new SmsAccepted(kept.MessageId, kept.Segments, kept.Encoding), Json.Options, statusCode: first ? 202 : 200);
        });

        app.MapGet(SmsProtocol.MessagesPath, (string? to, Phones phones) => phones.List(to));
        app.MapDelete(SmsProtocol.MessagesPath, (Phones phones) => { phones.Clear(); return Results.NoContent(); });
        app.MapGet("/stats", (Phones phones, Receipts receipts) => phones.Stats(receipts));

        app.MapGet("/faults", (GatewayFaults faults) => faults.Current);
        app.MapPost("/faults", (GatewayFaultSettings settings, GatewayFaults faults) => { faults.Set(settings); return faults.Current; });
        app.MapDelete("/faults", (GatewayFaults faults) => { faults.Set(new GatewayFaultSettings()); return Results.NoContent(); });
        return app;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();
}

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}

/// <param name="Submissions">How many times it was posted: more than one is a retry the idempotency key caught.</param>
public record ReceivedSms(string MessageId, string Key, string To, string From, string Text, int Segments, string Encoding, DateTimeOffset ReceivedAt, int Submissions);

public record GatewayStats(int Messages, int Segments, int Submissions, int Duplicates, int Throttled, int ReceiptsSent, int ReceiptsFailed);

/// <summary>What the phones received: each idempotency key sent once; repeats only counted.</summary>
public sealed class Phones
{
    private readonly ConcurrentDictionary<string, ReceivedSms> _messages = new();
    private int _throttled;

    public (ReceivedSms Kept, bool First) Receive(string key, SmsSubmission sms)
    {
        var first = false;
        var kept = _messages.AddOrUpdate(key,
            _ =>
            {
                first = true;
                var (segments, encoding) = SmsSegments.Count(sms.Text);
                return new ReceivedSms("SM" + Guid.NewGuid().ToString("N"), key, sms.To, sms.From, sms.Text, segments, encoding, DateTimeOffset.UtcNow, 1);
            },
            (_, existing) => existing with { Submissions = existing.Submissions + 1 });
        return (kept, first);
    }

    public void Throttled() => Interlocked.Increment(ref _throttled);

    public List<ReceivedSms> List(string? to) => _messages.Values.Where(m => to is null || m.To == to).OrderBy(m => m.ReceivedAt).ToList();

    public GatewayStats Stats(Receipts receipts)
    {
        var all = _messages.Values.ToList();
        return new GatewayStats(all.Count, all.Sum(m => m.Segments), all.Sum(m => m.Submissions), all.Sum(m => m.Submissions - 1), _throttled,
            receipts.Sent, receipts.Failed);
    }

    public void Clear()
    {
        _messages.Clear();
        _throttled = 0;
    }
}

/// <param name="LatencyMs">Added before every answer.</param>
/// <param name="ErrorRate">Share of messages answered 500, 0 to 1.</param>
/// <param name="OutageSeconds">From now, every message is answered 503 for this long.</param>
/// <param name="GarbageRate">Share of messages answered 200 with a body that is not the API's.</param>
/// <param name="DuplicateReceiptRate">Share of delivery receipts sent twice.</param>
/// <param name="RefuseRate">Share of messages refused as undeliverable (400), as a gateway does for a number its networks cannot reach.</param>
/// <param name="HangMs">A message is taken (and sent to the phone), then answered only after this long: the client may never hear of it.</param>
public record GatewayFaultSettings(int LatencyMs = 0, double ErrorRate = 0, int OutageSeconds = 0, double GarbageRate = 0, double DuplicateReceiptRate = 0, double RefuseRate = 0,
    int HangMs = 0);

public record GatewayFaultState(int LatencyMs, double ErrorRate, DateTimeOffset? DownUntil, double GarbageRate, double DuplicateReceiptRate, double RefuseRate, int HangMs);

public sealed class GatewayFaults
{
    private volatile GatewayFaultState _state = new(0, 0, null, 0, 0, 0, 0);

    public GatewayFaultState Current => _state;

    public void Set(GatewayFaultSettings s) =>
        _state = new GatewayFaultState(Math.Max(0, s.LatencyMs), Math.Clamp(s.ErrorRate, 0, 1),
            s.OutageSeconds > 0 ? DateTimeOffset.UtcNow.AddSeconds(s.OutageSeconds) : null, Math.Clamp(s.GarbageRate, 0, 1), Math.Clamp(s.DuplicateReceiptRate, 0, 1),
            Math.Clamp(s.RefuseRate, 0, 1), Math.Max(0, s.HangMs));

    public async Task<IResult?> ApplyAsync()
    {
        var state = _state;
        if (state.DownUntil is { } until && DateTimeOffset.UtcNow < until)
            return Results.Problem(statusCode: 503, detail: $"Out of service until {until:O}.");
        if (state.LatencyMs > 0) await Task.Delay(state.LatencyMs);
        if (state.ErrorRate > 0 && Random.Shared.NextDouble() < state.ErrorRate)
            return Results.Problem(statusCode: 500, detail: "Injected failure.");
        if (state.GarbageRate > 0 && Random.Shared.NextDouble() < state.GarbageRate)
            return Results.Text("<html><body>Service temporarily overloaded</body></html>", "text/html", statusCode: 200);
        if (state.RefuseRate > 0 && Random.Shared.NextDouble() < state.RefuseRate)
            return Results.Problem(statusCode: 400, detail: "The number cannot be reached by any of our networks.");
        return null;
    }
}

/// <summary>Delivery receipts, sent a moment after a message was taken, signed with the API key; a callback that fails is tried a few times more.</summary>
public sealed class Receipts(IConfiguration config, IHttpClientFactory http, ILogger<Receipts> logger) : BackgroundService
{
    private readonly Channel<(string Url, SmsReceipt Receipt)> _queue = Channel.CreateUnbounded<(string, SmsReceipt)>();
    private int _sent, _failed;

    public int Sent => _sent;
    public int Failed => _failed;

    public void Enqueue(string url, ReceivedSms sms, double duplicateRate)
    {
        var receipt = new SmsReceipt(sms.MessageId, sms.Key, SmsDeliveryStatus.Delivered, DateTimeOffset.UtcNow);
        _queue.Writer.TryWrite((url, receipt));
        if (duplicateRate > 0 && Random.Shared.NextDouble() < duplicateRate) _queue.Writer.TryWrite((url, receipt));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var key = config["Gateway:ApiKey"]!;
        var delay = TimeSpan.FromMilliseconds(config.GetValue("Gateway:ReceiptDelayMs", 300));
        await foreach (var (url, receipt) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            var due = receipt.At + delay - DateTimeOffset.UtcNow;
            if (due > TimeSpan.Zero) await Task.Delay(due, stoppingToken);
            _ = SendAsync(url, receipt with { At = DateTimeOffset.UtcNow }, key, stoppingToken);
        }
    }

    private async Task SendAsync(string url, SmsReceipt receipt, string key, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(receipt, Json.Options);
        for (var attempt = 1; attempt <= 5 && !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add(SmsProtocol.TimestampHeader, timestamp.ToString());
                request.Headers.Add(SmsProtocol.SignatureHeader, SmsProtocol.Sign(key, timestamp, body));
                using var response = await http.CreateClient("receipts").SendAsync(request, ct);
                if (response.IsSuccessStatusCode || (int)response.StatusCode is >= 400 and < 500)
                {
                    Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _sent : ref _failed);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                logger.LogDebug("Receipt to {Url} failed: {Message}", url, e.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
        }
        Interlocked.Increment(ref _failed);
    }
}
