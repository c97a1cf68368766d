using System.Security.Cryptography;
using System.Text;

// Compiled into both the platform and the stand-in authority: one definition of the wire protocol.
namespace Marhaba.PortAuthorities;

/// <summary>
/// How Marhaba and an Italian port authority talk over HTTP. Notifications from the authority are
/// signed: HMAC-SHA256, with the authority's shared secret, over "{timestamp}.{body}", sent as
/// lower-case hex. Messages to the authority carry an Idempotency-Key; a repeat is applied once.
/// </summary>
public static class AuthorityProtocol
{
    public const string AuthorityHeader = "X-Authority-Id";
    public const string TimestampHeader = "X-Timestamp";
    public const string SignatureHeader = "X-Signature";
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>A notification older or newer than this (against our clock) is refused as stale or forged.</summary>
    public static readonly TimeSpan TimestampWindow = TimeSpan.FromMinutes(5);

    public const string DepartureReportsPath = "/messages/departure-reports";
    public const string ArrivalConfirmationsPath = "/messages/arrival-confirmations";
    public const string DailyFiguresPath = "/messages/daily-figures";
    public const string NotificationsPath = "/api/port-authority/notifications";

    public static string Sign(string secret, long timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    public static bool Verify(string secret, long timestamp, string body, string? signature)
    {
        if (signature is null || signature.Length != 64) return false;
        byte[] offered;
        try { offered = Convert.FromHexString(signature); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(offered, Convert.FromHexString(Sign(secret, timestamp, body)));
    }
}

public enum NotificationType { SailingDeparted, SailingDelayed, SailingCancelled, BerthChanged, PortClosed }

/// <summary>A notification from the port authority. Fields beyond the type's own are ignored.</summary>
public record AuthorityNotification(
    string? MessageId, NotificationType? Type, Guid? SailingId, string? Port, DateTimeOffset? OccurredAt,
    int? PersonsOnBoard, int? VehiclesOnBoard, DateTimeOffset? NewDepartureAt, DateTimeOffset? NewArrivalAt,
    string? Reason, string? Berth, string? Terminal, DateTimeOffset? ClosedFrom, DateTimeOffset? ClosedUntil);

/// <summary>Before departure: who and what is aboard (Directive 98/41/EC counts), no names.</summary>
public record DepartureReport(
    Guid SailingId, string Vessel, string Operator, string Origin, string Destination, DateTimeOffset DepartureAt,
    int Persons, int Adults, int Children, int Vehicles, Dictionary<string, int> VehiclesByKind, int Crossings, DateTimeOffset ReportedAt);

/// <summary>After arrival in Morocco: the sailing arrived, with how many persons and vehicles were recorded arriving.</summary>
public record ArrivalConfirmation(
    Guid SailingId, string Vessel, string Origin, string Destination, DateTimeOffset ArrivedAt, int PersonsArrived, int VehiclesArrived, DateTimeOffset ConfirmedAt);

/// <summary>Once a day for the joint migration group: aggregated counts only, no personal data at all.</summary>
public record DailyFigures(DateOnly Day, List<DailyPortFigure> Ports, DateTimeOffset CompiledAt);

public record DailyPortFigure(string Port, string Direction, int Crossings, int Persons, int Vehicles);

/// <summary>What the stand-in answers when it receives a message.</summary>
public record Receipt(string IdempotencyKey, bool Duplicate, DateTimeOffset ReceivedAt);
