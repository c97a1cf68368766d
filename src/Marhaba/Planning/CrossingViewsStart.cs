using Marhaba.Hosting;
using Marten;
using Npgsql;

namespace Marhaba.Planning;

/// <summary>The store's first event, written once: past it, the crossings' views have progress from their first start.</summary>
public sealed record EventStoreOpened(DateTimeOffset At);

/// <summary>
/// The crossings' views run as one composite projection (<see cref="PlanningSetup.CrossingViews"/>). A composite that starts
/// with no progress on a store that already holds events is replayed by the daemon up to the event sequence's last value,
/// not to the high-water mark that waits for appends still in flight: an arrival whose commit was held up below that value
/// (a database restart does that) would never reach the views. So on an empty store, before the daemon starts, the first
/// event is <see cref="EventStoreOpened"/> and the composite's progress is set past it: from its first start on, the
/// composite runs continuously, behind the high-water mark, like every other projection.
/// </summary>
public sealed class CrossingViewsStart(IDocumentStore store, NpgsqlDataSource database, TimeProvider clock) : IHostedService
{
    public static readonly Guid StreamId = new("0b5e7a3c-2d41-4f6e-9a8b-1c3d5e7f9a0b");
    private static readonly string Shard = $"{PlanningSetup.CrossingViews}:All";

    public async Task StartAsync(CancellationToken ct)
    {
        await using (var session = store.LightweightSession())
        {
            if (await session.Events.QueryAllRawEvents().AnyAsync(ct)) return;
            session.Events.StartStream(StreamId, new EventStoreOpened(clock.GetUtcNow()));
            try
            {
                await session.SaveChangesAsync(ct);
            }
            catch (Exception e) when (KnownExceptionHandler.IsConcurrentChange(e))
            {
                // Another node opened the store at the same moment; it sets the progress.
                return;
            }
        }
        await using var set = database.CreateCommand(
            $"insert into {Database.Schema}.mt_event_progression (name, last_seq_id) select $1, seq_id from {Database.Schema}.mt_events where stream_id = $2 on conflict (name) do nothing");
        set.Parameters.Add(new() { Value = Shard });
        set.Parameters.Add(new() { Value = StreamId });
        await set.ExecuteNonQueryAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
