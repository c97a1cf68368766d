using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marhaba.Simulator;
using Npgsql;
using Xunit.Abstractions;

namespace Marhaba.Tests.Faults;

/// <summary>
/// Three server processes on one database, as in production: Wolverine's elected leader spreads the asynchronous
/// projections over them and runs each once-per-cluster job on one node. One node is killed (SIGKILL) while port
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
            for (var i = 0; i < 3; i++) nodes.Add(await ServerProcess.StartAsync(connection, Key));

            // Every projection and every job assigned to exactly one node (one row per agent), projections on more than one.
            var assignments = await WaitForAsync(connection, a => a.Count(x => x.Agent.StartsWith("event-subscriptions")) == 4
                && Jobs.All(j => a.Any(x => x.Agent.StartsWith(j + ":"))) && a.Where(x => x.Agent.StartsWith("event-subscriptions")).Select(x => x.Node).Distinct().Count() > 1);
            foreach (var a in assignments) output.WriteLine($"{a.Agent} on node {a.Node}");

            // The jobs that run at once ran once in the cluster, whatever the number of nodes; a second run would show here.
            await Task.Delay(TimeSpan.FromSeconds(5));
            foreach (var job in Jobs[..3])
            {
                var runs = 0.0;
                foreach (var node in nodes) runs += await JobRunsAsync(node, job);
                output.WriteLine($"{job}: {runs} run(s) across 3 nodes");
                runs.ShouldBe(1, job);
            }

            // A sailing from Algeciras has arrived at Tanger Med; its crossings are recorded through the three nodes.
            var tokens = new TokenIssuer(new AuthOptions { SigningKey = Key });
            using var client = nodes[0].Client(4);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
            var sailing = (await (await client.PostAsJsonAsync("/api/sailings", new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", "Tanger Express",
                DateTimeOffset.UtcNow.AddHours(2), null, 1200, 0), Json.Options)).Content.ReadFromJsonAsync<SailingSummary>(Json.Options))!;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("operator", [Roles.Operator], lines: ["ESALG-MAPTM"]));
            var references = new List<string>();
            for (var i = 0; i < 150; i++)
                references.Add((await (await client.PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 2, 1, null), Json.Options))
                    .Content.ReadFromJsonAsync<CrossingBookedResponse>(Json.Options))!.BookingReference);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
            (await client.PostAsJsonAsync($"/api/sailings/{sailing.Id}/departure", new RecordDeparture(null, null, null), Json.Options)).EnsureSuccessStatusCode();

            // The node running the arrivals' projection is the one to die, a third of the way through.
            var victim = assignments.Single(a => a.Agent.Contains("PortArrivals", StringComparison.OrdinalIgnoreCase)).Node;
            var victimIndex = await NodeIndexAsync(connection, victim);
            output.WriteLine($"killing node {victim} (process {victimIndex + 1} of 3)");
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
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ports/MAPTM/arrivals")
                    {
                        Content = JsonContent.Create(new CrossingAtPort(references[i], null, "Lane 2", null), options: Json.Options)
                    };
                    request.Headers.Add(IdempotencyMiddleware.Header, "arrival-" + references[i]);
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
            var moved = await WaitForAsync(connection, a => a.Count(x => x.Agent.StartsWith("event-subscriptions")) == 4 && a.All(x => x.Node != victim)
                && Jobs.All(j => a.Any(x => x.Agent.StartsWith(j + ":"))), TimeSpan.FromSeconds(120));
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
            projected.ShouldBe(events, "no arrival projected twice, none missed");
            moved.Select(a => a.Node).Distinct().Count().ShouldBeLessThanOrEqualTo(2);
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
        using var client = node.Client(1);
        var text = await client.GetStringAsync(Telemetry.ScrapePath);
        return text.Split('\n')
            .Where(l => l.StartsWith("marhaba_jobs_runs") && l.Contains($"name=\"{job}\""))
            .Sum(l => double.Parse(l[(l.IndexOf("} ") + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
    }
}
