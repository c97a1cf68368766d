using Marhaba.Hosting;
using Marten;

namespace Marhaba.Planning;

/// <summary>
/// Port days planned while their ids were an MD5 of the port and the day move to their name-based ids at start-up,
/// before the server takes requests: the stream, its events and its snapshot, each day in one transaction under the old
/// stream's row lock. A node that starts at the same moment waits for that lock, finds the day moved, and leaves it.
/// </summary>
public sealed class PortDayIds(IDocumentStore store, ILogger<PortDayIds> logger) : IHostedService
{
    private const string Streams = $"{Database.Schema}.mt_streams";

    public async Task StartAsync(CancellationToken ct)
    {
        var moved = await MoveAsync(store, ct);
        if (moved > 0) logger.LogInformation("{Count} port day(s) moved to their name-based stream ids", moved);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private sealed record NamedDay(Guid Id, string Port, DateOnly Day);

    public static async Task<int> MoveAsync(IDocumentStore store, CancellationToken ct)
    {
        // Only what names each day is read (not its hours): this runs at every start.
        List<NamedDay> former;
        await using (var query = store.QuerySession())
            former = (await query.Query<PortDay>().Select(d => new NamedDay(d.Id, d.Port, d.Day)).ToListAsync(ct))
                .Where(d => d.Id == PortDay.FormerStreamId(d.Port, d.Day)).ToList();
        var moved = 0;
        foreach (var day in former)
        {
            var (from, to) = (day.Id, PortDay.StreamId(day.Port, day.Day));
            await using var session = store.LightweightSession();
            // The old stream's row locked for the move: a node that waited here finds it gone, and leaves it.
            var locked = await session.Events.FetchForExclusiveWriting<PortDay>(from, ct);
            if (locked.Aggregate is not { } snapshot) continue;
            snapshot.Id = to;
            // The stream row copied under the new id whatever its columns, its events moved, the old row and snapshot gone.
            session.QueueSqlCommand($"insert into {Streams} select (jsonb_populate_record(null::{Streams}, to_jsonb(s) || jsonb_build_object('id', ?::uuid))).* from {Streams} s where s.id = ?", to, from);
            session.QueueSqlCommand($"update {Database.Schema}.mt_events set stream_id = ? where stream_id = ?", to, from);
            session.QueueSqlCommand($"delete from {Streams} where id = ?", from);
            session.Delete<PortDay>(from);
            session.Store(snapshot);
            try
            {
                await session.SaveChangesAsync(ct);
                moved++;
            }
            catch (Exception e) when (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation } ||
                                      e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
            {
                // Another node moved it first.
            }
        }
        return moved;
    }
}
