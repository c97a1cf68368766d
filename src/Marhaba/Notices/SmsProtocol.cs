using System.Security.Cryptography;
using System.Text;

namespace Marhaba.Notices;

/// <summary>
/// The SMS gateway's HTTP API, shaped like the common ones: a message is POSTed with the account's API key and an
/// idempotency key (the same key twice sends once), and the gateway calls back with delivery receipts signed with the
/// API key. Shared, file for file, by the platform and the stand-in gateway.
/// </summary>
public static class SmsProtocol
{
    public const string MessagesPath = "/v1/messages";
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string TimestampHeader = "X-Gateway-Timestamp";
    public const string SignatureHeader = "X-Gateway-Signature";
    public static readonly TimeSpan TimestampWindow = TimeSpan.FromMinutes(5);

    public static string Sign(string key, long timestamp, string body) =>
        Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{timestamp}.{body}"))).ToLowerInvariant();

    public static bool Verify(string key, long timestamp, string body, string? signature, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signature) || signature.Length != 64 || !signature.All(Uri.IsHexDigit)) return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > TimestampWindow) return false;
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(signature), Convert.FromHexString(Sign(key, timestamp, body)));
    }
}

/// <param name="To">E.164.</param>
/// <param name="From">The sender name shown on the phone.</param>
/// <param name="CallbackUrl">Where the gateway sends this message's delivery receipts.</param>
public record SmsSubmission(string To, string From, string Text, string? CallbackUrl);

/// <summary>The gateway took the message: its id, and what it will bill (segments, encoding).</summary>
public record SmsAccepted(string MessageId, int Segments, string Encoding);

public enum SmsDeliveryStatus { Delivered, Failed }

/// <param name="Reference">The idempotency key the message was sent with.</param>
public record SmsReceipt(string MessageId, string Reference, SmsDeliveryStatus Status, DateTimeOffset At);

/// <summary>
/// How many SMS segments a text takes (3GPP TS 23.038): in GSM-7 when every character is in its alphabet (160
/// septets alone, 153 per segment when split, a character of the extension table counting two), otherwise in UCS-2
/// (70 UTF-16 units alone, 67 per segment) — Arabic always, French with ê or ç too.
/// </summary>
public static class SmsSegments
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "\f^{}\\[~]|€";

    public static bool IsGsm7(string text) => text.All(c => Basic.Contains(c) || Extension.Contains(c));

    public static (int Segments, string Encoding) Count(string text)
    {
        if (IsGsm7(text))
        {
            var septets = text.Sum(c => Extension.Contains(c) ? 2 : 1);
            return (septets <= 160 ? 1 : (septets + 152) / 153, "GSM-7");
        }
        var units = text.Length;
        return (units <= 70 ? 1 : (units + 66) / 67, "UCS-2");
    }
}
