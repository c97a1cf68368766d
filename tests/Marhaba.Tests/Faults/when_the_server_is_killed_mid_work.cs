using System.Diagnostics;
using Marhaba.Simulator;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Marhaba.Assistance;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
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

        var first = await ServerProcess.StartAsync(connection, _key, Settings(offsetSeconds: -115));
        using var client = first.Client(4);
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = _key });

        // Business time 1 min 55 s behind: a critical medical case's 2-minute deadline falls 5 s from now.
        var opened = await (await client.PostAsJsonAsync("/api/traveller/assistance", new OpenAssistanceRequest(null, null,
            AssistanceCategory.Medical, Urgency.Critical, "MAPTM", "Collapsed at the gangway", Language.fr, null, null), Json.Options))
            .Content.ReadFromJsonAsync<AssistanceRequestOpenedResponse>(Json.Options);

        // The authority is down: boarding a Genova sailing leaves its departure report waiting to be delivered.
        await App.Authority.FaultsAsync(outageSeconds: 15);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
        var sailing = await (await client.PostAsJsonAsync("/api/sailings", new ScheduleSailing("ITGOA-MAPTM", Direction.Inbound, "GNV", "GNV Allegra",
            DateTimeOffset.UtcNow.AddHours(3), null, 1000, 1200), Json.Options)).Content.ReadFromJsonAsync<SailingSummary>(Json.Options);
        (await client.PostAsJsonAsync($"/api/sailings/{sailing!.Id}/boarding", new { })).EnsureSuccessStatusCode();

        await first.DisposeAsync();
        output.WriteLine($"killed the server {DateTimeOffset.UtcNow:HH:mm:ss.fff} with request {opened!.Reference} due at {opened.AcknowledgeBy:HH:mm:ss} (business time)");

        // Meanwhile business time moved on past the deadline. The new process takes over the dead one's
        // messages once its heartbeat is missed (about a minute here), hence the generous wait.
        await using var second = await ServerProcess.StartAsync(connection, _key, Settings(offsetSeconds: 60));
        var escalations = 0L;
        var received = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(240) && (escalations == 0 || received == 0))
        {
            await Task.Delay(500);
            escalations = await CountAsync(connection, "select count(*) from marhaba.mt_events where type = 'assistance_request_escalated'");
            received = (await App.Authority.StatsAsync()).Received;
        }
        await Task.Delay(3000); // room for a second, wrong, execution to show
        escalations = await CountAsync(connection, "select count(*) from marhaba.mt_events where type = 'assistance_request_escalated'");
        var reports = await App.Authority.ReceivedAsync("departure-report");
        output.WriteLine($"after the restart: {escalations} escalation(s), {reports.Count} report(s) received, {reports.Sum(r => r.Deliveries)} delivery(ies), within {watch.Elapsed.TotalSeconds:0.0} s");

        escalations.ShouldBe(1);
        reports.Single().IdempotencyKey.ShouldBe($"departure-report:{sailing.Id}");
        reports.Single().Deliveries.ShouldBe(1, "delivered once, by the new process");
    }

    private Dictionary<string, string> Settings(int offsetSeconds) => new()
    {
        ["Clock__OffsetSeconds"] = offsetSeconds.ToString(),
        ["PortAuthority__BaseUrl"] = App.Authority.Url,
        ["PortAuthority__Secret"] = App.Authority.Secret,
        ["PortAuthority__AuthorityId"] = StandInAuthorityServer.AuthorityId,
    };

    private static async Task<long> CountAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
        await conn.OpenAsync();
        return (long)(await new NpgsqlCommand(sql, conn).ExecuteScalarAsync())!;
    }
}
