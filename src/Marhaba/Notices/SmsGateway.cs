using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Marhaba.Hosting;
using Marten;
using Marten.Patching;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;
using Wolverine.Http;

namespace Marhaba.Notices;

/// <summary>
/// The SMS gateway, over its HTTP API, behind a Polly pipeline around the whole attempt (the answer read included):
/// the account's rate is kept here (messages beyond it wait their turn), a throttled, failed or garbled attempt is
/// retried a couple of times (honouring Retry-After; the idempotency key — the notice's id — makes a repeat
/// harmless), each attempt times out, and a circuit breaker stops knocking on a gateway that is down. What the
/// pipeline gives up on, Wolverine retries later.
/// </summary>
public sealed class SmsGateway
{
    public const string ClientName = "sms-gateway";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly IHttpClientFactory _http;
    private readonly SmsOptions _sms;
    private readonly ResiliencePipeline _pipeline;

    public SmsGateway(IHttpClientFactory http, NoticeOptions options)
    {
        _http = http;
        _sms = options.Sms;
        var transient = new PredicateBuilder().Handle<GatewayUnavailableException>().Handle<HttpRequestException>().Handle<TimeoutRejectedException>();
        var perTenth = Math.Max(1, _sms.MessagesPerSecond / 10);
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System }
            .AddRateLimiter(new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perTenth, TokensPerPeriod = perTenth, ReplenishmentPeriod = TimeSpan.FromMilliseconds(100), QueueLimit = 100_000, AutoReplenishment = true
            }))
            .AddTimeout(TimeSpan.FromSeconds(60))
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient, MaxRetryAttempts = 2, BackoffType = DelayBackoffType.Exponential, UseJitter = true, Delay = TimeSpan.FromMilliseconds(300),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is GatewayUnavailableException { RetryAfter: { } after } ? after : (TimeSpan?)null)
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Broken by a gateway that is down, not by one that fails now and then (each retry counts here).
                ShouldHandle = transient, FailureRatio = 0.8, MinimumThroughput = 20, SamplingDuration = TimeSpan.FromSeconds(10), BreakDuration = TimeSpan.FromSeconds(5)
            })
            .AddTimeout(TimeSpan.FromSeconds(_sms.AttemptTimeoutSeconds))
            .Build();
    }

    public bool Configured => _sms.Linked;

    public static void AddTo(IServiceCollection services, SmsOptions sms)
    {
        services.AddSingleton<SmsGateway>();
        services.AddHttpClient(ClientName, c => c.BaseAddress = sms.Linked ? new Uri(sms.BaseUrl!) : null);
    }

    public async Task<SmsAccepted> SendAsync(Notice notice, CancellationToken ct)
    {
        try
        {
            return await _pipeline.ExecuteAsync(token => AttemptAsync(notice, token), ct);
        }
        catch (Exception e) when (e is HttpRequestException or BrokenCircuitException or TimeoutRejectedException or RateLimiterRejectedException)
        {
            throw new GatewayUnavailableException($"The SMS gateway did not take the message: {e.Message}", e);
        }
    }

    private async ValueTask<SmsAccepted> AttemptAsync(Notice notice, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SmsProtocol.MessagesPath)
        {
            Content = JsonContent.Create(new SmsSubmission(notice.To!, _sms.From, notice.Text!, _sms.ReceiptsUrl), options: Json)
        };
        request.Headers.Authorization = new("Bearer", _sms.ApiKey);
        request.Headers.Add(SmsProtocol.IdempotencyHeader, notice.Id.ToString("N"));
        using var response = await _http.CreateClient(ClientName).SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if ((int)response.StatusCode is 429 or 408 or >= 500)
            throw new GatewayUnavailableException($"The SMS gateway answered {(int)response.StatusCode}: {Excerpt(body)}") { RetryAfter = response.Headers.RetryAfter?.Delta };
        if (!response.IsSuccessStatusCode)
            throw new GatewayRefusedException($"The SMS gateway refused the message ({(int)response.StatusCode}): {Excerpt(body)}");
        try
        {
            if (JsonSerializer.Deserialize<SmsAccepted>(body, Json) is { MessageId.Length: > 0 } accepted) return accepted;
        }
        catch (JsonException) { }
        throw new GatewayUnavailableException($"The SMS gateway answered {(int)response.StatusCode} without a message id: {Excerpt(body)}");
    }

    private static string Excerpt(string body) => body.Length <= 200 ? body : body[..200] + "…";
}

/// <summary>
/// Delivery receipts from the SMS gateway, signed with the account's key (HMAC-SHA256 over "{timestamp}.{body}"):
/// recorded on the notice once; a repeated receipt changes nothing.
/// </summary>
public static class SmsReceiptEndpoint
{
    public const string Path = "/api/notices/sms-receipts";
    private const int MaxBody = 4 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new StrictEnumConverter() } };

    [WolverinePost(Path, OperationId = "ReceiveSmsReceipt")]
    [AllowAnonymous] // authenticated by its signature, not by a staff token
    [ProducesResponseType(204)]
    [ProducesResponseType<ProblemDetails>(401)]
    public static async Task<IResult> Post(HttpContext context, IDocumentSession session, NoticeOptions options, CancellationToken ct)
    {
        // Read only with its length given and small: nothing unbounded is read before the signature is checked.
        if (context.Request.ContentLength is null) return Problems.Make(411, "Length required", "A receipt gives its Content-Length.").ToResult();
        if (context.Request.ContentLength > MaxBody) return Problems.Make(413, "Too large", $"A receipt is at most {MaxBody} bytes.").ToResult();
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ct);
        if (options.Sms.ApiKey is not { Length: > 0 } key
            || !long.TryParse(context.Request.Headers[SmsProtocol.TimestampHeader], out var timestamp)
            || !SmsProtocol.Verify(key, timestamp, body, context.Request.Headers[SmsProtocol.SignatureHeader], TimeProvider.System.GetUtcNow()))
            return Problems.Make(401, "Not signed", $"A receipt is signed by the gateway ({SmsProtocol.TimestampHeader}, {SmsProtocol.SignatureHeader}).").ToResult();

        SmsReceipt? receipt;
        try { receipt = JsonSerializer.Deserialize<SmsReceipt>(body, Json); }
        catch (JsonException e) { return JsonBodyGuard.Unreadable(e, "Not a receipt").ToResult(); }
        if (!Guid.TryParseExact(receipt?.Reference, "N", out var noticeId))
            return Problems.BadRequest("reference", "reference is the idempotency key the message was sent with.").ToResult();

        // Unknown (erased meanwhile) or already recorded: answered all the same, so the gateway stops sending it.
        // Patched, not stored whole: the delivery that sent it may not have committed yet.
        if (await session.LoadAsync<Notice>(noticeId, ct) is { DeliveredAt: null, DeliveryFailedAt: null })
        {
            var recorded = session.Patch<Notice>(noticeId);
            if (receipt!.Status == SmsDeliveryStatus.Delivered) recorded.Set(n => n.DeliveredAt, receipt.At);
            else recorded.Set(n => n.DeliveryFailedAt, receipt.At);
        }
        return Results.NoContent();
    }
}
