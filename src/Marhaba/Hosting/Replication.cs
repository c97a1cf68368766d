using Marten;
using Marten.Services;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Marhaba.Hosting;

/// <summary>What the database can promise about a write right now, as the primary sees its synchronous standbys.</summary>
public sealed record ReplicationState(bool Writable, string Reason);

/// <summary>
/// PostgreSQL's synchronous replication, read from the primary. A commit whose wait for the standby was cancelled
/// (the client left, a timeout, a shutdown, an administrator) is kept by the primary alone and reported as done; so
/// before an answer is replayed, or given after such a commit, the server checks that a synchronous standby has
/// flushed the primary's WAL at least up to that commit. Where no synchronous replication is configured (the embedded
/// cluster, a single server) the primary's own flush is the whole promise and nothing is waited for.
/// Reading <c>pg_stat_replication</c> needs the <c>pg_monitor</c> (or <c>pg_read_all_stats</c>) role.
/// </summary>
public sealed class Replication(string connectionString) : IAsyncDisposable
{
    // A few connections of its own: the checks must answer while the command path's pool waits on commits.
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 4, Timeout = 3 }.ConnectionString);

    private const string StateSql = """
        select pg_is_in_recovery(),
               current_setting('synchronous_standby_names') <> '',
               pg_has_role('pg_read_all_stats', 'usage'),
               case when pg_is_in_recovery() then null else pg_current_wal_flush_lsn()::text end,
               (select count(*) from pg_stat_replication where state = 'streaming' and sync_state in ('sync', 'quorum'))
        """;

    private const string HeldSql = """
        select exists (select 1 from pg_stat_replication
                       where state = 'streaming' and sync_state in ('sync', 'quorum') and flush_lsn >= $1::pg_lsn)
        """;

    /// <summary>Whether a commit made now would be held by two nodes, with the reason when it would not.</summary>
    public async Task<ReplicationState> ReadAsync(CancellationToken ct)
    {
        var (state, _) = await ReadWithLsnAsync(ct);
        return state;
    }

    /// <summary>
    /// Waits, at most <paramref name="within"/>, until a synchronous standby has flushed everything the primary had
    /// flushed when the wait began (so every commit visible before it). Not writable, with the reason, otherwise.
    /// </summary>
    public async Task<ReplicationState> WaitUntilHeldAsync(TimeSpan within, CancellationToken ct)
    {
        var until = DateTime.UtcNow + within;
        var (state, lsn) = await ReadWithLsnAsync(ct);
        if (lsn is null) return state; // no primary, or nothing to wait for
        while (true)
        {
            await using (var cmd = _dataSource.CreateCommand(HeldSql))
            {
                cmd.Parameters.Add(new() { Value = lsn });
                if (await cmd.ExecuteScalarAsync(ct) is true) return new(true, "A synchronous standby holds it.");
            }
            if (DateTime.UtcNow >= until)
                return new(false, state.Writable ? "The synchronous standby has not confirmed it yet." : state.Reason);
            await Task.Delay(100, ct);
        }
    }

    /// <summary>The state, and the primary's flushed position when a standby must hold it (null when none must).</summary>
    private async Task<(ReplicationState State, string? Lsn)> ReadWithLsnAsync(CancellationToken ct)
    {
        try
        {
            await using var cmd = _dataSource.CreateCommand(StateSql);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (standby, synchronous, visible, lsn, streaming) =
                (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4));
            if (standby) return (new(false, "The database reached is a standby: it takes no writes."), null);
            if (!synchronous) return (new(true, "Primary; no synchronous replication is configured, so a commit is held by this server alone."), null);
            if (!visible) return (new(false, "Replication is not visible to the application's role: grant it pg_monitor."), null);
            return streaming > 0
                ? (new(true, "Primary with a streaming synchronous standby."), lsn)
                : (new(false, "No synchronous standby is streaming: commits wait until one is back (strict synchronous mode)."), lsn);
        }
        catch (Exception e) when (KnownExceptionHandler.DatabaseUnreachable(e))
        {
            return (new(false, "No primary database server is reachable."), null);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

/// <summary>A write that was committed, but that no standby is yet known to hold: answered 503, retry with the same key.</summary>
public sealed class NotYetReplicatedException(string reason)
    : Exception($"The change is stored on the primary but not yet on its standby ({reason}); retry with the same Idempotency-Key.");

/// <summary>
/// After a commit whose token was cancelled, PostgreSQL may have stopped waiting for the standby and kept the commit
/// locally ("canceling wait for synchronous replication"), and Npgsql reports success. Before anything follows from
/// it (the outbox's sends, a message marked handled, an answer), wait until the standby holds it, or fail.
/// </summary>
public sealed class CommitsHeldByStandby(Replication replication) : DocumentSessionListenerBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public override async Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        if (!token.IsCancellationRequested) return; // the commit's own wait ran to its end
        var state = await replication.WaitUntilHeldAsync(Patience, CancellationToken.None);
        if (!state.Writable) throw new NotYetReplicatedException(state.Reason);
    }
}

/// <summary>
/// A write request runs to its end once it has reached the server: its client leaving or giving up does not cancel
/// it. Cancelling a commit that waits for the synchronous standby would not undo it, only make PostgreSQL keep it on
/// the primary alone and report it done.
/// </summary>
public sealed class WritesRunToTheirEnd(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method))
            context.Features.Set<IHttpRequestLifetimeFeature>(new NotCancelled(context.Features.Get<IHttpRequestLifetimeFeature>()));
        return next(context);
    }

    private sealed class NotCancelled(IHttpRequestLifetimeFeature? inner) : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get => CancellationToken.None; set { } }
        public void Abort() => inner?.Abort();
    }
}

/// <summary>Readiness for writes: a primary that holds each commit on two nodes (or on its own where that is configured).</summary>
public sealed class WritesHealthCheck(Replication replication) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            var state = await replication.ReadAsync(timeout.Token);
            return state.Writable ? HealthCheckResult.Healthy(state.Reason) : HealthCheckResult.Unhealthy(state.Reason);
        }
        catch (OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer within 2 s.");
        }
    }
}
