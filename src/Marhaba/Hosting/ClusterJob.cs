using System.Diagnostics.Metrics;
using Wolverine.Runtime.Agents;

namespace Marhaba.Hosting;

/// <summary>
/// Work that must happen once per cluster, not once per node (the retention purge, tomorrow's forecasts, the
/// season's erasure, the daily figures): a Wolverine singular agent, which the cluster's elected leader runs on
/// exactly one node and moves to another when that node is gone. Each run is counted in
/// <c>marhaba.jobs.runs</c>, tagged with the job's name, so an operator sees where and how often it ran.
/// </summary>
public abstract class ClusterJob(string name, TimeProvider clock, ILogger logger) : SingularAgent(name)
{
    private static readonly Counter<long> Runs = Telemetry.Meter.CreateCounter<long>("marhaba.jobs.runs", "{run}", "Runs of the cluster's once-per-cluster jobs");
    private static readonly Counter<long> Failures = Telemetry.Meter.CreateCounter<long>("marhaba.jobs.failures", "{run}", "Failed runs of the cluster's jobs");

    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    protected TimeProvider Clock { get; } = clock;
    protected ILogger Logger { get; } = logger;

    /// <summary>How long to wait before the next run: <paramref name="first"/> is the run right after the job (re)starts on a node.</summary>
    protected abstract TimeSpan Wait(DateTimeOffset now, bool first);

    protected abstract Task RunOnceAsync(CancellationToken ct);

    protected override Task startAsync(CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        _loop = LoopAsync(_stop.Token);
        return Task.CompletedTask;
    }

    protected override async Task stopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null) return;
        await _stop.CancelAsync();
        try { await _loop.WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
        _stop = null;
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        for (var first = true; !stop.IsCancellationRequested; first = false)
        {
            try
            {
                var wait = Wait(Clock.GetUtcNow(), first);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, stop);
                await RunOnceAsync(stop);
                Runs.Add(1, new KeyValuePair<string, object?>("name", Scheme));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                Failures.Add(1, new KeyValuePair<string, object?>("name", Scheme));
                Logger.LogWarning(e, "The {Job} job failed; it runs again at its next time", Scheme);
            }
        }
    }
}
