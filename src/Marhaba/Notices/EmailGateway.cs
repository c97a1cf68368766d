using MailKit.Net.Smtp;
using MimeKit;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Marhaba.Notices;

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
            throw new GatewayUnavailableException($"The mail server at {_smtp.Host}:{_smtp.Port} did not take the message: {e.Message}", e);
        }
    }
}
