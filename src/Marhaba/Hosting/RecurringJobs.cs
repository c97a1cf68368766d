using System.Diagnostics.Metrics;
using Marten;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace Marhaba.Hosting;

/// <summary>
/// Work that recurs once per cluster, not once per node (the retention purge, tomorrow's forecasts, the season's
/// erasure, the daily figures). Each run is a durable scheduled message (<see cref="RunRecurringJob"/>) kept in
/// PostgreSQL: whichever node is up when it falls due runs it, and a run due while no node was up runs as soon as
/// one is. The job's <see cref="JobSchedule"/> says which run is due next; a copy of a run already done (two nodes
/// starting together, a retry) finds the schedule moved on and does nothing. Time is the business clock's.
/// </summary>
public abstract class RecurringJob(string name)
{
    public string Name { get; } = name;

    /// <summary>The first time the job falls due after <paramref name="now"/>, when it has never run.</summary>
    public virtual DateTimeOffset FirstDue(DateTimeOffset now) => now;

    /// <summary>The next time it falls due after a run at <paramref name="now"/>.</summary>
    public abstract DateTimeOffset NextDue(DateTimeOffset now);

    /// <summary>
    /// The run due at <paramref name="due"/>, at <paramref name="now"/> (later when the cluster was down then), in the
    /// transaction that moves the schedule on; <paramref name="previousDue"/> is the run before's, for a job that catches up.
    /// </summary>
    public abstract Task RunAsync(IDocumentSession session, DateTimeOffset due, DateTimeOffset? previousDue, DateTimeOffset now, OutgoingMessages messages, CancellationToken ct);
}

/// <summary>A job run every <paramref name="period"/>; a run missed while no node was up is made once, not once per period missed.</summary>
public abstract class PeriodicJob(string name, TimeSpan period) : RecurringJob(name)
{
    public override DateTimeOffset NextDue(DateTimeOffset now) => now + period;
}

/// <summary>When a job runs next, and when it last ran. Id: the job's name.</summary>
public class JobSchedule
{
    public string Id { get; set; } = "";
    public DateTimeOffset NextDue { get; set; }
    public DateTimeOffset? LastDue { get; set; }
    public DateTimeOffset? LastRunAt { get; set; }
}

/// <summary>A job's run due at <paramref name="Due"/>.</summary>
public record RunRecurringJob(string Job, DateTimeOffset Due);

/// <summary>Another copy of the run committed first: this one's work is undone.</summary>
public sealed class RunAlreadyMadeException(RunRecurringJob run) : Exception($"The {run.Job} run due at {run.Due:O} was made by another copy.");

/// <summary>Makes sure every job has its next run scheduled: sent by each node as it starts.</summary>
public record ScheduleRecurringJobs;

public static class RecurringJobHandler
{
    private static readonly Counter<long> Runs = Telemetry.Meter.CreateCounter<long>("marhaba.jobs.runs", "{run}", "Runs of the cluster's once-per-cluster jobs");

    /// <summary>
    /// A run that fails (the database, the authority) is tried again later, for as long as it takes: a job never stops.
    /// A copy that lost to another is dropped: the other made the run.
    /// </summary>
    public static void Configure(HandlerChain chain)
    {
        chain.OnException<RunAlreadyMadeException>().Discard();
        chain.OnAnyException().ScheduleRetryIndefinitely(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));
    }

    public static async Task<OutgoingMessages> Handle(RunRecurringJob message, IDocumentSession session, IEnumerable<RecurringJob> jobs, TimeProvider clock, CancellationToken ct)
    {
        var messages = new OutgoingMessages();
        var job = jobs.FirstOrDefault(j => j.Name == message.Job);
        var schedule = await session.LoadAsync<JobSchedule>(message.Job, ct);
        // Another copy of this run came first: the schedule has moved on.
        if (job is null || schedule is null || schedule.NextDue != message.Due) return messages;
        var now = clock.GetUtcNow();
        if (now < message.Due)
        {
            messages.Delay(message, SimulatedClock.RealDelay(clock, message.Due - now));
            return messages;
        }
        await job.RunAsync(session, message.Due, schedule.LastDue, now, messages, ct);
        // The schedule moves on in the run's own transaction, its row locked only from here to the commit (a lock held
        // through the work would queue everything behind it): of two copies that ran at the same moment, the second
        // finds it moved, and its transaction (what it wrote, what it was to send) rolls back whole.
        await session.BeginTransactionAsync(ct);
        var locked = (await session.QueryAsync<JobSchedule>("where id = ? for update", ct, message.Job)).SingleOrDefault();
        if (locked?.NextDue != message.Due) throw new RunAlreadyMadeException(message);
        (schedule.LastDue, schedule.LastRunAt, schedule.NextDue) = (message.Due, now, job.NextDue(now));
        session.Store(schedule);
        messages.Delay(new RunRecurringJob(job.Name, schedule.NextDue), SimulatedClock.RealDelay(clock, schedule.NextDue - now));
        Runs.Add(1, new KeyValuePair<string, object?>("name", job.Name));
        return messages;
    }

    public static async Task<OutgoingMessages> Handle(ScheduleRecurringJobs _, IDocumentSession session, IEnumerable<RecurringJob> jobs, TimeProvider clock, CancellationToken ct)
    {
        var messages = new OutgoingMessages();
        var now = clock.GetUtcNow();
        foreach (var job in jobs)
        {
            var schedule = await session.LoadAsync<JobSchedule>(job.Name, ct);
            if (schedule is null)
            {
                schedule = new JobSchedule { Id = job.Name, NextDue = job.FirstDue(now) };
                // Two nodes starting together: one inserts, the other's transaction fails and it tries again.
                session.Insert(schedule);
            }
            // A run is pending in PostgreSQL for a future time; one overdue is sent again (a copy is harmless).
            else if (schedule.NextDue > now) continue;
            messages.Delay(new RunRecurringJob(job.Name, schedule.NextDue), SimulatedClock.RealDelay(clock, schedule.NextDue > now ? schedule.NextDue - now : TimeSpan.Zero));
        }
        return messages;
    }

    public static void AddTo(StoreOptions opts) => opts.Schema.For<JobSchedule>();
}

/// <summary>Each node, once started, makes sure every job has its next run scheduled.</summary>
public sealed class RecurringJobsStarter(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, ILogger<RecurringJobsStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        await using var _ = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ScheduleRecurringJobs(), stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Another node made the schedule at the same moment, or the database is away: look again shortly.
                logger.LogInformation("Scheduling the recurring jobs: {Message}; trying again", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt)), stoppingToken);
            }
        }
    }
}
