using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Marhaba.Hosting;
using Marhaba.Simulator;
using Npgsql;
using Xunit.Abstractions;

namespace Marhaba.Tests.Faults;

/// <summary>
/// Three server processes on one database, as in production: Wolverine's elected leader spreads the asynchronous
/// projections over them, and each once-per-cluster job runs once, on whichever node takes its scheduled message. One node is killed (SIGKILL) while port
/// staff record arrivals through all three: its projections resume on the others and count every arrival once.
/// </summary>
public class when_three_nodes_share_the_work(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private const string Key = "three-nodes-signing-key-0123456789abcdef0123456789";
    private static readonly string[] Jobs = ["marhaba-retention", "marhaba-forecasts", "marhaba-season-erasure", "marhaba-daily-figures"];

    [Fact]
    public async Task each_job_runs_on_one_node_and_a_killed_nodes_projections_resume_on_the_others_counting_each_event_once()
    {
        var connection = await OwnDatabase.RecreateAsync("marhaba_cluster_tests");
        var nodes = new List<ServerProcess>();
        try
        {
            var settings = ProcessScenarios.LinkedTo(App.Authority, clockOffsetSeconds: -115);
            for (var i = 0; i < 3; i++) nodes.Add(await ServerProcess.StartAsync(connection, Key, settings));

            // Every projection assigned to exactly one node (one row per agent: the crossings' views as one composite, the
            // assistance times, the travellers' welcome), projections on more than one.
            var assignments = await WaitForAsync(connection, a => a.Count(x => x.Agent.StartsWith("event-subscriptions")) == 3
                && a.Where(x => x.Agent.StartsWith("event-subscriptions")).Select(x => x.Node).Distinct().Count() > 1);
            foreach (var a in assignments) output.WriteLine($"{a.Agent} on node {a.Node}");

            // The jobs due at once ran once in the cluster, whatever the number of nodes starting together; a second run
            // would show here. The daily figures wait for 00:30 in Morocco.
            async Task<double> RunsAsync(string job)
            {
                var runs = 0.0;
                foreach (var node in nodes) runs += await JobRunsAsync(node, job);
                return runs;
            }
            for (var i = 0; i < 120 && (await Task.WhenAll(Jobs[..3].Select(RunsAsync))).Any(r => r == 0); i++) await Task.Delay(250);
            await Task.Delay(TimeSpan.FromSeconds(5));
            foreach (var job in Jobs)
            {
                var runs = await RunsAsync(job);
                output.WriteLine($"{job}: {runs} run(s) across 3 nodes");
                runs.ShouldBe(job == "marhaba-daily-figures" ? 0 : 1, job);
            }

            // A sailing from Algeciras has arrived at Tanger Med; its crossings are recorded through the three nodes.
            var tokens = new TokenIssuer(new AuthOptions { SigningKey = Key });
            var references = await ProcessScenarios.BookAndSailAsync(nodes[0], tokens, 150);

            // The node running the arrivals' projection (among the crossings' views) is the one to die, a third of the way through.
            var victim = assignments.Single(a => a.Agent.Contains(Marhaba.Planning.PlanningSetup.CrossingViews, StringComparison.OrdinalIgnoreCase)).Node;
            var victimIndex = await NodeIndexAsync(connection, victim);
            output.WriteLine($"killing node {victim} (process {victimIndex + 1} of 3)");

            // Work left on the node about to die: a departure report in its outbox (the authority is down) and a
            // critical case whose deadline is a scheduled message it stored.
            await App.Authority.FaultsAsync(outageSeconds: 12);
            await ProcessScenarios.LeaveWorkPendingAsync(nodes[victimIndex], tokens);
            var staff = tokens.Mint("staff-tanger-med", [Roles.PortStaff], ["MAPTM"]);
            var clients = nodes.Select(n => { var c = n.Client(2); c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", staff); return c; }).ToList();
            var killedAt = Stopwatch.StartNew();
            var retried = 0;
            for (var i = 0; i < references.Count; i++)
            {
                if (i == references.Count / 3) { await nodes[victimIndex].DisposeAsync(); killedAt.Restart(); }
                // Each arrival keyed; one that fails on a node is sent again, same key, to the next.
                for (var attempt = 0; ; attempt++)
                {
                    var node = (i + attempt) % 3;
                    using var request = ProcessScenarios.Arrival(references[i], "Lane 2");
                    try
                    {
                        using var response = await clients[node].SendAsync(request);
                        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
                        break;
                    }
                    catch (HttpRequestException) when (attempt < 5) { retried++; }
                }
            }
            output.WriteLine($"150 arrivals acknowledged, {retried} sent again to another node");

            // The killed node's agents move to the survivors; the projection catches up and counts each arrival once.
            var moved = await WaitForAsync(connection, a => a.Count(x => x.Agent.StartsWith("event-subscriptions")) == 3 && a.All(x => x.Node != victim),
                TimeSpan.FromSeconds(120));
            output.WriteLine($"the killed node's agents resumed on the others {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");
            long projected = 0, events = 0;
            for (var i = 0; i < 240 && (projected != events || events == 0); i++)
            {
                await Task.Delay(500);
                (projected, events) = await ArrivalCountsAsync(connection);
            }
            await Task.Delay(TimeSpan.FromSeconds(5)); // room for a second, wrong, application to show
            (projected, events) = await ArrivalCountsAsync(connection);
            output.WriteLine($"crossing_arrived events: {events}; counted by the arrivals projection: {projected}; {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");
            events.ShouldBe(150, "every acknowledged arrival is stored once");

            // The dead node's messages, carried out once by the others: the escalation at its deadline, the report once the authority is back.
            var (escalations, reports) = await ProcessScenarios.PendingWorkDoneAsync(connection, App.Authority, TimeSpan.FromSeconds(240));
            output.WriteLine($"the dead node's messages: {escalations} escalation(s), {reports.Count} report(s) received in {reports.Sum(r => r.Deliveries)} delivery(ies), {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");
            escalations.ShouldBe(1);
            reports.Single().Deliveries.ShouldBe(1);
            projected.ShouldBe(events, "no arrival projected twice, none missed");
            moved.ShouldContain(a => a.Agent.StartsWith("wolverine://leader"), "a leader runs, on a node still alive");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    private async Task<List<(string Agent, Guid Node)>> WaitForAsync(string connection, Func<List<(string Agent, Guid Node)>, bool> done, TimeSpan? within = null)
    {
        var watch = Stopwatch.StartNew();
        List<(string, Guid)> assignments = [];
        while (watch.Elapsed < (within ?? TimeSpan.FromSeconds(90)))
        {
            assignments = await AssignmentsAsync(connection);
            if (done(assignments)) return assignments;
            await Task.Delay(500);
        }
        foreach (var (agent, node) in assignments) output.WriteLine($"{agent} on node {node}");
        throw new TimeoutException("The cluster's agents were not assigned as expected.");
    }

    private static async Task<List<(string Agent, Guid Node)>> AssignmentsAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select id, node_id from marhaba.wolverine_node_assignments where node_id is not null order by id", conn);
        var found = new List<(string, Guid)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) found.Add((reader.GetString(0), reader.GetGuid(1)));
        return found;
    }

    /// <summary>The processes were started one after the other, each ready before the next: node numbers follow that order.</summary>
    private static async Task<int> NodeIndexAsync(string connection, Guid node)
    {
        await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from marhaba.wolverine_nodes where node_number < (select node_number from marhaba.wolverine_nodes where id = $1)", conn)
        {
            Parameters = { new() { Value = node } }
        };
        return (int)(long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<(long Projected, long Events)> ArrivalCountsAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            select (select coalesce(sum((data ->> 'Crossings')::int), 0) from marhaba.mt_doc_portarrivals where data ->> 'Port' = 'MAPTM'),
                   (select count(*) from marhaba.mt_events where type = 'crossing_arrived')
            """, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>A job's runs on one node, read where an operator reads them: the node's Prometheus scrape.</summary>
    private static async Task<double> JobRunsAsync(ServerProcess node, string job)
    {
        var text = await node.MetricsAsync();
        return text.Split('\n')
            .Where(l => l.StartsWith("marhaba_jobs_runs") && l.Contains($"name=\"{job}\""))
            .Sum(l => double.Parse(l[(l.IndexOf("} ") + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
    }
}
