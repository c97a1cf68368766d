using MailKit.Net.Smtp;
using MailKit.Security;
using Marten;
using MimeKit;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;
using JasperFx.Core;

namespace Marhaba.Notices;

public sealed class NoticeOptions
{
    public const string Section = "Notices";
    /// <summary>How long a change settles before it is told: a burst of changes within it makes one message.</summary>
    public double SettleSeconds { get; set; } = 120;
    /// <summary>The traveller's page, linked from every message.</summary>
    public string TravellerPageUrl { get; set; } = "http://localhost:5080/traveller";
    public SmtpOptions Smtp { get; set; } = new();

    public TimeSpan Settle => TimeSpan.FromSeconds(SettleSeconds);
}

public sealed class SmtpOptions
{
    /// <summary>The mail server; empty: no e-mail is sent (the decision and the message are still kept).</summary>
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public string From { get; set; } = "Marhaba <noreply@marhaba.example>";
    public string? User { get; set; }
    public string? Password { get; set; }
    /// <summary>STARTTLS when the server offers it (Auto), always (StartTls) or never (None, a local server).</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;
    public double AttemptTimeoutSeconds { get; set; } = 10;
}

/// <summary>A mail server that did not take a message for now: Wolverine retries it later, then keeps it in the dead letters.</summary>
public sealed class MailServerUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The mail server, through MailKit, behind a Polly pipeline: each attempt times out and a circuit breaker stops
/// knocking on a server that is down. The message carries its notice's id as Message-ID, so a receiving system can
/// tell a retry from a new message.
/// </summary>
public sealed class EmailGateway
{
    private readonly SmtpOptions _smtp;
    private readonly ResiliencePipeline _pipeline;

    public EmailGateway(NoticeOptions options)
    {
        _smtp = options.Smtp;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5, MinimumThroughput = 4, SamplingDuration = TimeSpan.FromSeconds(10), BreakDuration = TimeSpan.FromSeconds(10)
            })
            .AddTimeout(TimeSpan.FromSeconds(_smtp.AttemptTimeoutSeconds))
            .Build();
    }

    public bool Configured => !string.IsNullOrWhiteSpace(_smtp.Host);

    public async Task SendAsync(Notice notice, CancellationToken ct)
    {
        var message = new MimeMessage { Subject = notice.Subject ?? "", MessageId = $"{notice.Id:N}@marhaba" };
        message.From.Add(MailboxAddress.Parse(_smtp.From));
        message.To.Add(MailboxAddress.Parse(notice.To!));
        message.Body = new BodyBuilder { TextBody = notice.Text, HtmlBody = notice.Html }.ToMessageBody();
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                using var client = new SmtpClient();
                await client.ConnectAsync(_smtp.Host!, _smtp.Port, _smtp.Security, token);
                if (_smtp.User is { Length: > 0 } user) await client.AuthenticateAsync(user, _smtp.Password ?? "", token);
                await client.SendAsync(message, token);
                await client.DisconnectAsync(true, token);
            }, ct);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or SmtpCommandException or SmtpProtocolException
                                       or MailKit.ServiceNotConnectedException or BrokenCircuitException or TimeoutRejectedException)
        {
            throw new MailServerUnavailableException($"The mail server at {_smtp.Host}:{_smtp.Port} did not take the message: {e.Message}", e);
        }
    }
}

/// <summary>Send one notice on its channel, once: a notice already sent is not sent again.</summary>
public record DeliverNotice(Guid NoticeId);

public static class DeliverNoticeHandler
{
    /// <summary>A mail server down for a while: tried again and again for about an hour, then kept in the dead letters to be retried by hand.</summary>
    public static void Configure(HandlerChain chain) =>
        chain.OnException<MailServerUnavailableException>()
            .ScheduleRetry(2.Seconds(), 5.Seconds(), 10.Seconds(), 30.Seconds(), 1.Minutes(), 2.Minutes(), 5.Minutes(), 10.Minutes(), 20.Minutes(), 20.Minutes())
            .Then.MoveToErrorQueue();

    public static async Task Handle(DeliverNotice message, IDocumentSession session, EmailGateway email, TimeProvider clock, CancellationToken ct)
    {
        var notice = await session.LoadAsync<Notice>(message.NoticeId, ct);
        // Erased meanwhile (no address left), already sent, or no mail server configured: nothing to send.
        if (notice is not { SentAt: null, To: not null } || !email.Configured) return;
        await email.SendAsync(notice, ct);
        notice.SentAt = clock.GetUtcNow();
        session.Store(notice);
    }
}

/// <summary>Per channel: messages decided, sent, waiting (retried meanwhile), and given up on (in the dead letters, to be replayed by hand).</summary>
public record NoticeFigures(string Channel, long Decided, long Sent, long Waiting, long DeadLettered);

public static class NoticeFiguresEndpoint
{
    [Wolverine.Http.WolverineGet("/api/notices/figures", OperationId = "NoticeFigures")]
    [Microsoft.AspNetCore.Authorization.Authorize(Policy = Hosting.Policies.Admin)]
    public static async Task<List<NoticeFigures>> Get(IQuerySession session, Npgsql.NpgsqlDataSource database, CancellationToken ct)
    {
        await using var dead = database.CreateCommand(
            $"select count(*) from {Hosting.Database.Schema}.wolverine_dead_letters where message_type = '{typeof(DeliverNotice).FullName}'");
        // Every dead-lettered delivery is an e-mail's while e-mail is the only channel.
        var deadLettered = (long)(await dead.ExecuteScalarAsync(ct))!;
        var figures = new List<NoticeFigures>();
        foreach (var channel in Enum.GetValues<Channel>())
        {
            var decided = await session.Query<Notice>().LongCountAsync(n => n.Channel == channel, ct);
            var sent = await session.Query<Notice>().LongCountAsync(n => n.Channel == channel && n.SentAt != null, ct);
            figures.Add(new NoticeFigures(channel.ToString(), decided, sent, Math.Max(0, decided - sent - deadLettered), deadLettered));
        }
        return figures;
    }
}
