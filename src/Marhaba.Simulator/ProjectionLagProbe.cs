using System.Diagnostics;
using Npgsql;

namespace Marhaba.Simulator;

/// <summary>
/// How far the asynchronous dashboards trail the writes: every 100 ms, the newest event's sequence and the progress
/// of the composite projection that writes the daily arrivals, the sailings' loads and the season's totals in one
/// batch (its own row: the rows Marten keeps for its parts are bookkeeping that may trail it); the lag of a sample is
/// how long ago the store first held the event the projection has just reached.
/// </summary>
public sealed class ProjectionLagProbe : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<List<double>> _sampling;

    public ProjectionLagProbe(string connection) => _sampling = Task.Run(() => SampleAsync(connection, _stop.Token));

    public async Task<IEnumerable<Figure>> StopAsync()
    {
        await _stop.CancelAsync();
        var lags = (await _sampling).Order().ToArray();
        double P(double p) => Math.Round(Marhaba.Hosting.Statistics.Percentile(lags, p), 3);
        return [new Figure("projection lag p50 / p99 under saturating load", P(0.5), "s", $"p99 {P(0.99):0.000} s over {lags.Length} samples; target p99 < 1 s")];
    }

    private static async Task<List<double>> SampleAsync(string connection, CancellationToken stop)
    {
        var lags = new List<double>();
        var heads = new List<(double At, long Seq)>();
        var clock = Stopwatch.StartNew();
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync(CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            var head = await ScalarAsync(conn, "select coalesce(max(seq_id), 0) from marhaba.mt_events");
            var progress = await ScalarAsync(conn, $"select coalesce(max(last_seq_id), 0) from marhaba.mt_event_progression where name = '{Marhaba.Planning.PlanningSetup.CrossingViews}:All'");
            var now = clock.Elapsed.TotalSeconds;
            heads.Add((now, head));
            var reachedAt = heads.FirstOrDefault(h => h.Seq >= progress);
            if (head > progress && reachedAt != default) lags.Add(now - reachedAt.At);
            else lags.Add(0);
            try { await Task.Delay(100, stop); } catch (OperationCanceledException) { break; }
        }
        return lags;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection conn, string sql) =>
        Convert.ToInt64(await new NpgsqlCommand(sql, conn).ExecuteScalarAsync(CancellationToken.None));

    public void Dispose() => _stop.Dispose();
}
