using Marten;
using Marten.Patching;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;
using JasperFx.Core;

namespace Marhaba.Notices;

/// <summary>Send one notice on its channel, once: a notice already sent is not sent again.</summary>
public record DeliverNotice(Guid NoticeId);

public static class DeliverNoticeHandler
{
    /// <summary>
    /// A gateway down for a while: tried again every few seconds at first (an outage of a minute costs its length and
    /// little more), then further apart, for about an hour, then kept in the dead letters to be
    /// retried by an administrator. A message the gateway refuses will not get better by retrying: dead letters at once.
    /// </summary>
    public static void Configure(HandlerChain chain)
    {
        chain.OnException<GatewayRefusedException>().MoveToErrorQueue();
        chain.OnException<GatewayUnavailableException>()
            .ScheduleRetry(1.Seconds(), 2.Seconds(), 5.Seconds(), 10.Seconds(), 10.Seconds(), 10.Seconds(), 20.Seconds(), 30.Seconds(), 1.Minutes(), 2.Minutes(), 5.Minutes(), 10.Minutes(), 20.Minutes(), 20.Minutes())
            .Then.MoveToErrorQueue();
    }

    public static async Task Handle(DeliverNotice message, IDocumentSession session, EmailGateway email, SmsGateway sms, TimeProvider clock, CancellationToken ct)
    {
        var notice = await session.LoadAsync<Notice>(message.NoticeId, ct);
        // Erased meanwhile (no address left), already sent, or its gateway not configured: nothing to send.
        if (notice is not { SentAt: null, To: not null }) return;
        // Patched, not stored whole: a delivery receipt may be recorded on the notice before this commits.
        var sent = session.Patch<Notice>(notice.Id);
        switch (notice.Channel)
        {
            case Channel.Email when email.Configured:
                await email.SendAsync(notice, ct);
                break;
            case Channel.Sms when sms.Configured:
                var accepted = await sms.SendAsync(notice, ct);
                sent.Set(n => n.Segments, accepted.Segments).Set(n => n.Encoding, accepted.Encoding);
                break;
            default:
                return;
        }
        sent.Set(n => n.SentAt, clock.GetUtcNow());
    }
}

/// <summary>
/// Per channel: messages decided, taken by the gateway, delivered (SMS receipts), waiting (retried meanwhile), and
/// given up on (in the dead letters, for an administrator to replay through /dead-letters/replay).
/// </summary>
public record NoticeFigures(string Channel, long Decided, long Sent, long Delivered, long Waiting, long DeadLettered);

public static class NoticeFiguresEndpoint
{
    private static readonly System.Text.Json.JsonSerializerOptions Body = new() { PropertyNameCaseInsensitive = true };

    [Wolverine.Http.WolverineGet("/api/notices/figures", OperationId = "NoticeFigures")]
    [Microsoft.AspNetCore.Authorization.Authorize(Policy = Hosting.Policies.Admin)]
    public static async Task<List<NoticeFigures>> Get(IQuerySession session, Npgsql.NpgsqlDataSource database, CancellationToken ct)
    {
        await using var dead = database.CreateCommand(
            $"select body from {Hosting.Database.Schema}.wolverine_dead_letters where message_type = '{typeof(DeliverNotice).FullName}'");
        var deadIds = new List<Guid>();
        await using (var reader = await dead.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                if (Wolverine.Runtime.Serialization.EnvelopeSerializer.Deserialize((byte[])reader[0]).Data is { } data
                    && System.Text.Json.JsonSerializer.Deserialize<DeliverNotice>(data, Body) is { } m) deadIds.Add(m.NoticeId);
        var deadByChannel = (await session.LoadManyAsync<Notice>(ct, deadIds)).CountBy(n => n.Channel).ToDictionary();

        var batch = session.CreateBatchQuery();
        var counts = Enum.GetValues<Channel>().Select(channel => (channel,
            Decided: batch.Query<Notice>().Where(n => n.Channel == channel).Count(),
            Sent: batch.Query<Notice>().Where(n => n.Channel == channel && n.SentAt != null).Count(),
            Delivered: batch.Query<Notice>().Where(n => n.Channel == channel && n.DeliveredAt != null).Count())).ToList();
        await batch.Execute(ct);
        var figures = new List<NoticeFigures>();
        foreach (var (channel, decided, sent, delivered) in counts)
        {
            var deadLettered = deadByChannel.GetValueOrDefault(channel);
            figures.Add(new NoticeFigures(channel.ToString(), await decided, await sent, await delivered, Math.Max(0, await decided - await sent - deadLettered), deadLettered));
        }
        return figures;
    }
}
