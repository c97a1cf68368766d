using MailKit.Security;

namespace Marhaba.Notices;

public sealed class NoticeOptions
{
    public const string Section = "Notices";
    /// <summary>How long a change settles before it is told: a burst of changes within it makes one message.</summary>
    public double SettleSeconds { get; set; } = 120;
    /// <summary>The traveller's page, linked from every message.</summary>
    public string TravellerPageUrl { get; set; } = "http://localhost:5080/traveller";
    public SmtpOptions Smtp { get; set; } = new();
    public SmsOptions Sms { get; set; } = new();

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

public sealed class SmsOptions
{
    /// <summary>The SMS gateway's API; empty: no SMS is sent (the decision and the message are still kept).</summary>
    public string? BaseUrl { get; set; }
    /// <summary>The account's key: sent with every message, and the key its delivery receipts are signed with. Only from configuration or environment.</summary>
    public string? ApiKey { get; set; }
    /// <summary>The sender name shown on the phone.</summary>
    public string From { get; set; } = "Marhaba";
    /// <summary>Where the gateway sends delivery receipts: this platform's public address of the receipts endpoint.</summary>
    public string? ReceiptsUrl { get; set; }
    /// <summary>The rate the account is allowed; messages beyond it wait their turn here rather than be refused there.</summary>
    public int MessagesPerSecond { get; set; } = 20;
    public double AttemptTimeoutSeconds { get; set; } = 5;

    public bool Linked => !string.IsNullOrWhiteSpace(BaseUrl) && !string.IsNullOrWhiteSpace(ApiKey);
}

/// <summary>A gateway that did not take a message for now (down, slow, throttling, answering garbage): Wolverine retries it later, then keeps it in the dead letters.</summary>
public sealed class GatewayUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>When the gateway said to come back (Retry-After).</summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>A gateway that refused the message itself (a number it cannot reach, an account it does not know): retrying will not help; straight to the dead letters.</summary>
public sealed class GatewayRefusedException(string message) : Exception(message);
