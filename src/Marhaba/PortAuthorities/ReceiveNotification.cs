using System.Text;
using System.Text.Json;
using Marhaba.Hosting;
using Marhaba.Planning;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Polly.CircuitBreaker;
using Wolverine;
using Wolverine.Http;

namespace Marhaba.PortAuthorities;

/// <summary>
/// A notification from a port authority as received: applied (once: its id is the authority's
/// message id), or kept for a person to look at when it could not be applied.
/// </summary>
public class ReceivedNotification
{
    public string Id { get; set; } = "";
    public string AuthorityId { get; set; } = "";
    public string MessageId { get; set; } = "";
    public NotificationType? Type { get; set; }
    public Guid? SailingId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public bool Applied { get; set; }
    public string? Problem { get; set; }
    public string Body { get; set; } = "";
}

public record NotificationReceipt(string MessageId, bool Applied, bool Duplicate, string? Detail);

public static class ReceiveNotificationEndpoint
{
    public const int MaxBody = 64 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new StrictEnumConverter() } };

    /// <summary>
    /// Sailing departed, delayed or cancelled, berth changed, port closed: signed by the authority
    /// (HMAC-SHA256 over "{timestamp}.{body}"). Unsigned, badly signed or stale: 401. A repeat of a
    /// message id: acknowledged, not applied again. One that cannot be applied: 4xx, and kept.
    /// </summary>
    [WolverinePost(AuthorityProtocol.NotificationsPath, OperationId = "ReceivePortAuthorityNotification")]
    [AllowAnonymous] // authenticated by its signature, not by a staff token
    [ProducesResponseType<NotificationReceipt>(200)]
    [ProducesResponseType<ProblemDetails>(401)]
    [ProducesResponseType<ProblemDetails>(422)]
    public static async Task<(IResult, OutgoingMessages)> Post(
        HttpContext context, IDocumentSession session, PortAuthorityOptions authority,
        SailingConsequences consequences, TimeProvider clock, CancellationToken ct)
    {
        var none = new OutgoingMessages();
        if (context.Request.ContentLength > MaxBody) return (Problems.Make(413, "Too large", $"A notification is at most {MaxBody} bytes.").ToResult(), none);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ct);
        var now = clock.GetUtcNow();

        // The signature's freshness is a matter of the wall clock, whatever the business time.
        if (Authenticate(context, body, authority, TimeProvider.System.GetUtcNow()) is { } unauthenticated) return (unauthenticated.ToResult(), none);

        AuthorityNotification? n;
        try { n = JsonSerializer.Deserialize<AuthorityNotification>(body, Json); }
        catch (JsonException e) { return (JsonBodyGuard.Unreadable(e, "Not a notification").ToResult(), none); }
        if (n?.MessageId is not { Length: > 0 and <= 100 }) return (Problems.BadRequest("messageId", "messageId is required, at most 100 characters.").ToResult(), none);
        if (n.Type is null) return (Problems.BadRequest("type", $"type is required: one of {string.Join(", ", Enum.GetNames<NotificationType>())}.").ToResult(), none);

        // Copies of one message arriving together wait for each other here, in this transaction: the first
        // is applied (or kept), every later one finds its record and is answered as a duplicate.
        var id = $"{authority.AuthorityId}:{n.MessageId}";
        await LockAsync(session, id, ct);
        if (await session.LoadAsync<ReceivedNotification>(id, ct) is { } earlier)
            return (Results.Ok(new NotificationReceipt(n.MessageId, earlier.Applied, true, "Already received; not applied again.")), none);

        var received = new ReceivedNotification { Id = id, AuthorityId = authority.AuthorityId, MessageId = n.MessageId, Type = n.Type, SailingId = n.SailingId, ReceivedAt = now, Body = body };
        var (problem, messages) = await ApplyAsync(session, n, authority, consequences, now, ct);
        if (problem is not null)
        {
            // Kept, without the refused change, for a person to look at; the lock is held until it is.
            session.EjectAllPendingChanges();
            received.Problem = problem.Detail;
            session.Insert(received);
            await session.SaveChangesAsync(ct);
            return (problem.ToResult(), none);
        }
        received.Applied = true;
        session.Insert(received); // with the change: applied once, even if two copies race
        return (Results.Ok(new NotificationReceipt(n.MessageId, true, false, null)), messages);
    }

    /// <summary>A lock on the message id for the rest of the transaction (PostgreSQL's transaction-level advisory lock).</summary>
    private static async Task LockAsync(IDocumentSession session, string id, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        await using var cmd = new Npgsql.NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended($1, 0))", (Npgsql.NpgsqlConnection)session.Connection!);
        cmd.Parameters.Add(new() { Value = id });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static ProblemDetails? Authenticate(HttpContext context, string body, PortAuthorityOptions authority, DateTimeOffset now)
    {
        var headers = context.Request.Headers;
        if (authority.Secret is not { Length: > 0 } secret)
            return Problems.Make(401, "Unauthorized", "No port authority is linked to this platform.");
        if (headers[AuthorityProtocol.AuthorityHeader].ToString() != authority.AuthorityId)
            return Problems.Make(401, "Unauthorized", $"Unknown authority; send {AuthorityProtocol.AuthorityHeader}.");
        if (!long.TryParse(headers[AuthorityProtocol.TimestampHeader].ToString(), out var timestamp))
            return Problems.Make(401, "Unauthorized", $"{AuthorityProtocol.TimestampHeader} (unix seconds) is required.");
        var signature = headers[AuthorityProtocol.SignatureHeader].ToString();
        if (!AuthorityProtocol.Verify(secret, timestamp, body, signature) &&
            !(authority.PreviousSecret is { Length: > 0 } previous && AuthorityProtocol.Verify(previous, timestamp, body, signature)))
            return Problems.Make(401, "Unauthorized", $"{AuthorityProtocol.SignatureHeader} is missing or does not match the body.");
        var age = now - DateTimeOffset.FromUnixTimeSeconds(timestamp);
        if (age.Duration() > AuthorityProtocol.TimestampWindow)
            return Problems.Make(401, "Unauthorized", $"The notification's timestamp is {age.TotalMinutes:0} minutes off; at most {AuthorityProtocol.TimestampWindow.TotalMinutes} are accepted.");
        return null;
    }

    private static async Task<(ProblemDetails?, OutgoingMessages)> ApplyAsync(
        IDocumentSession session, AuthorityNotification n, PortAuthorityOptions authority, SailingConsequences consequences, DateTimeOffset now, CancellationToken ct)
    {
        var messages = new OutgoingMessages();
        var by = $"port-authority {authority.AuthorityId}";
        if (n.Type == NotificationType.PortClosed) return (await ClosePortAsync(session, n, authority, by, now, ct), messages);

        if (n.SailingId is not { } sailingId) return (Problems.BadRequest("sailingId", "sailingId is required for this notification."), messages);
        // The notification names its sailing in its body, and may name none (a closed port): the sailing is fetched here, under
        // its row lock as every change of a sailing is, and decided by the same rules as a planner's change.
        var stream = await session.Events.FetchForExclusiveWriting<Sailing>(sailingId, ct);
        if (stream.Aggregate is not { } sailing) return (Problems.Make(422, "Unknown sailing", $"No sailing {sailingId} is known here; the notification is kept for a planner."), messages);
        if (!authority.Governs(sailing.Origin) && !authority.Governs(sailing.Destination))
            return (Problems.Make(403, "Forbidden", $"Sailing {sailingId} does not call at a port of {authority.AuthorityId}."), messages);

        var at = n.OccurredAt ?? now;
        var decision = n.Type switch
        {
            NotificationType.SailingDeparted => SailingRules.Depart(sailing, new RecordDeparture(at, n.PersonsOnBoard, n.VehiclesOnBoard), at, by),
            NotificationType.SailingDelayed => SailingRules.Delay(sailing, new DelaySailing(n.NewDepartureAt, n.NewArrivalAt, n.Reason ?? "announced by the port authority"), now, by),
            NotificationType.SailingCancelled => SailingRules.Cancel(sailing, new CancelSailing(n.Reason ?? "cancelled by the port authority"), now, by),
            _ => Decision.Append(new SailingBerthChanged(n.Berth, n.Terminal, at, by))
        };
        if (decision.Refused is { } refused)
        {
            var problem = refused.ToProblem();
            return (Problems.Make(problem.Status ?? 409, problem.Title ?? "Refused", $"{problem.Detail} The notification is kept for a planner."), messages);
        }
        stream.AppendOne(decision.Event!);
        messages.AddRange(consequences.Of(sailing, decision.Event!));
        return (null, messages);
    }

    /// <summary>A closed port processes nothing: its hours in the closure are set to no capacity.</summary>
    private static async Task<ProblemDetails?> ClosePortAsync(IDocumentSession session, AuthorityNotification n, PortAuthorityOptions authority, string by, DateTimeOffset now, CancellationToken ct)
    {
        if (!ReferenceData.TryGetPort(n.Port, out var port)) return Problems.BadRequest("port", $"Unknown port '{n.Port}'.");
        if (!authority.Governs(port.Code)) return Problems.Make(403, "Forbidden", $"{port.Code} is not a port of {authority.AuthorityId}.");
        if (n.ClosedFrom is not { } from || n.ClosedUntil is not { } until || until <= from || until - from > TimeSpan.FromDays(7))
            return Problems.BadRequest("closedUntil", "closedFrom and closedUntil are required, in order, at most 7 days apart.");

        for (var hour = new DateTimeOffset(from.UtcDateTime.Date.AddHours(from.UtcDateTime.Hour), TimeSpan.Zero); hour < until;)
        {
            var local = TimeZoneInfo.ConvertTime(hour, port.Zone);
            var day = DateOnly.FromDateTime(local.DateTime);
            var lastHour = Math.Min(24, local.Hour + (int)Math.Ceiling((until - hour).TotalHours));
            var set = new PortDayCapacitySet(port.Code, day, local.Hour, lastHour, 0, 0, $"port closed: {n.Reason ?? "announced by the port authority"}", by, now);
            var stream = await session.Events.FetchForWriting<PortDay>(PortDay.StreamId(port.Code, day), ct);
            if (stream.Aggregate is null) session.Events.StartStream<PortDay>(PortDay.StreamId(port.Code, day), set);
            else stream.AppendOne(set);
            hour = hour.AddHours(lastHour - local.Hour);
        }
        return null;
    }
}

public record LinkState(bool Linked, string AuthorityId, string? BaseUrl, string[] Ports, string Circuit);

public static class PortAuthorityAdminEndpoints
{
    /// <summary>Notifications that could not be applied, for a planner to look at (or all received ones).</summary>
    [WolverineGet("/api/port-authority/notifications", OperationId = "ReceivedNotifications")]
    [Authorize(Policy = Policies.Planner)]
    public static async Task<IReadOnlyList<ReceivedNotification>> Notifications(bool? applied, IQuerySession session, CancellationToken ct)
    {
        var query = session.Query<ReceivedNotification>().AsQueryable();
        if (applied is { } a) query = query.Where(r => r.Applied == a);
        return await query.OrderByDescending(r => r.ReceivedAt).Take(500).ToListAsync(ct);
    }

    /// <summary>The link to the authority: where, which ports, and the circuit breaker's state (Closed, Open, HalfOpen).</summary>
    [WolverineGet("/api/port-authority/link", OperationId = "PortAuthorityLink")]
    [Authorize(Policy = Policies.Admin)]
    public static LinkState Link(PortAuthorityOptions authority, CircuitBreakerStateProvider circuit) =>
        new(authority.Linked, authority.AuthorityId, authority.BaseUrl, authority.Ports, circuit.CircuitState.ToString());

    public record SendFigures(DateOnly? Day);

    /// <summary>Sends (again) a day's figures for the joint migration group; the authority applies a repeat once.</summary>
    [WolverinePost("/api/port-authority/daily-figures", OperationId = "SendDailyFigures")]
    [Authorize(Policy = Policies.Admin)]
    public static (IResult, OutgoingMessages) Figures(SendFigures command, TimeProvider clock)
    {
        var day = command.Day ?? ReferenceData.Home.LocalDay(clock.GetUtcNow()).AddDays(-1);
        return (Results.Accepted(value: new { day }), [new SendDailyFigures(day)]);
    }
}

public static class ResendDepartureReportEndpoint
{
    /// <summary>Sends (again) a sailing's departure report to its authority.</summary>
    [WolverinePost("/api/sailings/{sailingId}/departure-report", OperationId = "SendDepartureReport")]
    [Authorize(Policy = Policies.Planner)]
    public static async Task<(IResult, OutgoingMessages)> Post(Guid sailingId, IQuerySession session, PortAuthorityOptions authority, CancellationToken ct)
    {
        var sailing = await session.LoadAsync<Sailing>(sailingId, ct);
        if (sailing is null) return (Problems.NotFound($"No sailing {sailingId}.").ToResult(), []);
        if (!authority.Linked || !authority.Governs(sailing.Origin))
            return (Problems.Conflict($"{sailing.Origin} is not a port of a linked authority: no report is due.").ToResult(), []);
        return (Results.Accepted(), [new SendDepartureReport(sailingId)]);
    }
}
