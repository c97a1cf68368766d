using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Wolverine.Tracking;

namespace Marhaba.Tests.Hosting;

/// <summary>
/// Work that recurs once in the cluster runs from durable scheduled messages on the business clock: the daily figures
/// go at 00:30 in Morocco, also when the server started a few minutes before; days missed while no node was up are
/// sent when one is, each once; a copy of a run does nothing.
/// </summary>
public class when_recurring_work_falls_due(AppFixture app) : Scenario(app)
{
    private const string DailyFigures = "marhaba-daily-figures";

    private static DateTimeOffset InMorocco(DateOnly day, int hour, int minute)
    {
        var local = day.ToDateTime(new TimeOnly(hour, minute));
        return new DateTimeOffset(local, ReferenceData.Home.Zone.GetUtcOffset(local));
    }

    private async Task<JobSchedule> ScheduleOf(string job)
    {
        await using var session = App.Store.QuerySession();
        return (await session.LoadAsync<JobSchedule>(job))!;
    }

    /// <summary>The days the authority has received figures for.</summary>
    private async Task<List<string>> DaysSentAsync(int expected)
    {
        List<string> days = [];
        for (var i = 0; i < 240; i++)
        {
            days = (await App.Authority.ReceivedAsync("daily-figures")).Select(m => m.Body.GetProperty("day").GetString()!).ToList();
            if (days.Count >= expected) break;
            await Task.Delay(250);
        }
        await Task.Delay(500); // long enough for a second, wrong, sending to show
        return (await App.Authority.ReceivedAsync("daily-figures")).Select(m => m.Body.GetProperty("day").GetString()!).Order().ToList();
    }

    [Fact]
    public async Task figures_started_at_ten_past_midnight_go_at_half_past_and_days_missed_while_down_are_sent_once_each()
    {
        var day = new DateOnly(2026, 7, 20);
        App.Clock.SetUtcNow(InMorocco(day, 0, 10));
        await Host.InvokeMessageAndWaitAsync(new ScheduleRecurringJobs());
        (await ScheduleOf(DailyFigures)).NextDue.ShouldBe(InMorocco(day, 0, 30), "today's 00:30, not tomorrow's");

        // Delivered early (the machines' clocks apart): nothing is sent yet, the run waits for its time.
        await Host.InvokeMessageAndWaitAsync(new RunRecurringJob(DailyFigures, InMorocco(day, 0, 30)));
        (await App.Authority.ReceivedAsync("daily-figures")).ShouldBeEmpty();

        App.Clock.SetUtcNow(InMorocco(day, 0, 31));
        await Host.InvokeMessageAndWaitAsync(new RunRecurringJob(DailyFigures, InMorocco(day, 0, 30)));
        (await DaysSentAsync(1)).ShouldBe(["2026-07-19"]);
        (await ScheduleOf(DailyFigures)).NextDue.ShouldBe(InMorocco(day.AddDays(1), 0, 30));

        // A copy of the run already made (two nodes, a retry) does nothing.
        await Host.InvokeMessageAndWaitAsync(new RunRecurringJob(DailyFigures, InMorocco(day, 0, 30)));
        (await DaysSentAsync(1)).ShouldBe(["2026-07-19"]);

        // No node up from that evening until two days later at 09:00: the run due in between runs then, and sends
        // each day that ended meanwhile, once.
        App.Clock.SetUtcNow(InMorocco(day.AddDays(2), 9, 0));
        await Host.InvokeMessageAndWaitAsync(new RunRecurringJob(DailyFigures, InMorocco(day.AddDays(1), 0, 30)));
        (await DaysSentAsync(3)).ShouldBe(["2026-07-19", "2026-07-20", "2026-07-21"]);
        (await ScheduleOf(DailyFigures)).NextDue.ShouldBe(InMorocco(day.AddDays(3), 0, 30));
    }

    [Fact]
    public async Task every_job_gets_its_schedule_when_nodes_start_together()
    {
        var now = App.Clock.GetUtcNow();
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Host.InvokeMessageAndWaitAsync(new ScheduleRecurringJobs())).Select(async t =>
        {
            try { await t; } catch (Exception) { /* a node that met another's schedule tries again, as the starter does */ }
        }));
        await Host.InvokeMessageAndWaitAsync(new ScheduleRecurringJobs());
        await using var session = App.Store.QuerySession();
        var schedules = await session.Query<JobSchedule>().ToListAsync();
        schedules.Select(s => s.Id).Order().ShouldBe(["marhaba-daily-figures", "marhaba-forecasts", "marhaba-retention", "marhaba-season-erasure"]);
        schedules.Single(s => s.Id == "marhaba-retention").NextDue.ShouldBeLessThanOrEqualTo(now.AddHours(1));
    }
}
