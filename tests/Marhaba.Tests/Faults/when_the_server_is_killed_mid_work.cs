using System.Diagnostics;
using Marhaba.Simulator;
using Marhaba.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Marhaba.Tests.Faults;

/// <summary>
/// The server process is killed (SIGKILL) with an escalation scheduled and a departure report not yet
/// delivered (the authority is down). A new server process carries both out, once.
/// </summary>
public class when_the_server_is_killed_mid_work(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private const string Database = "marhaba_kill_tests";
    private readonly string _key = new('q', 48);

    [Fact]
    public async Task the_pending_escalation_and_report_are_carried_out_once_after_a_restart()
    {
        var cluster = EmbeddedPostgres.ForWorkingTree();
        var admin = new NpgsqlConnectionStringBuilder(await cluster.EnsureStartedAsync("postgres")) { Pooling = false };
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync();
            await new NpgsqlCommand($"drop database if exists {Database} with (force)", conn).ExecuteNonQueryAsync();
        }
        var connection = await cluster.EnsureStartedAsync(Database);

        var first = await ServerProcess.StartAsync(connection, _key, ProcessScenarios.LinkedTo(App.Authority, clockOffsetSeconds: -115));
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = _key });
        // The authority is down: the departure report waits to be delivered.
        await App.Authority.FaultsAsync(outageSeconds: 15);
        var (opened, sailing) = await ProcessScenarios.LeaveWorkPendingAsync(first, tokens);

        await first.DisposeAsync();
        output.WriteLine($"killed the server {DateTimeOffset.UtcNow:HH:mm:ss.fff} with request {opened.Reference} due at {opened.AcknowledgeBy:HH:mm:ss} (business time)");

        // Meanwhile business time moved on past the deadline. The new process takes over the dead one's
        // messages once its heartbeat is missed (about a minute here), hence the generous wait.
        await using var second = await ServerProcess.StartAsync(connection, _key, ProcessScenarios.LinkedTo(App.Authority, clockOffsetSeconds: 60));
        var watch = Stopwatch.StartNew();
        var (escalations, reports) = await ProcessScenarios.PendingWorkDoneAsync(connection, App.Authority, TimeSpan.FromSeconds(240));
        output.WriteLine($"after the restart: {escalations} escalation(s), {reports.Count} report(s) received, {reports.Sum(r => r.Deliveries)} delivery(ies), within {watch.Elapsed.TotalSeconds:0.0} s");

        escalations.ShouldBe(1);
        reports.Single().IdempotencyKey.ShouldBe($"departure-report:{sailing.Id}");
        reports.Single().Deliveries.ShouldBe(1, "delivered once, by the new process");
    }
}
