using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Simulator;
using Npgsql;
using Xunit.Abstractions;

namespace Marhaba.Tests.Faults;

/// <summary>
/// PostgreSQL as a Patroni cluster (ops/ha/cluster.sh: etcd, a primary, a strict synchronous standby and a spare on
/// loopback) under two server nodes whose connection string lists every host. Port desks record keyed arrivals through
/// both nodes, sending again what fails; meanwhile the primary's PostgreSQL is killed, later the new primary's whole
/// node (Patroni and PostgreSQL, as a host crash), then the standbys' nodes. Patroni promotes the synchronous standby
/// each time, the nodes follow it by themselves, and every acknowledged arrival is on the last primary exactly once.
/// </summary>
public class when_the_primary_database_fails_over(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private const string Key = "failover-signing-key-0123456789abcdef0123456789abcd";
    private const int Crossings = 900;
    /// <summary>A primary, its synchronous standby and a spare: after a failover the spare is the new primary's standby at once.</summary>
    private static readonly string[] Members = ["pg1", "pg2", "pg3"];
    private static readonly string Dir = "/var/tmp/marhaba-ha-tests";
    private static readonly string Script = Path.Combine(EmbeddedPostgres.FindWorkingTreeRoot(), "ops", "ha", "cluster.sh");

    [Fact]
    public async Task every_acknowledged_arrival_is_on_the_new_primary_once_and_every_retry_gets_the_original_answer()
    {
        await ClusterAsync($"up --members {Members.Length}");
        var nodes = new List<ServerProcess>();
        try
        {
            var connection = (await ClusterAsync("connection")).Trim();
            for (var i = 0; i < 2; i++) nodes.Add(await ServerProcess.StartAsync(connection, Key));
            var tokens = new TokenIssuer(new AuthOptions { SigningKey = Key });
            var references = await ProcessScenarios.BookAndSailAsync(nodes[0], tokens, Crossings);

            var staff = tokens.Mint("staff-tanger-med", [Roles.PortStaff], ["MAPTM"]);
            var clients = nodes.Select(n => { var c = n.Client(4); c.Timeout = TimeSpan.FromSeconds(30); c.DefaultRequestHeaders.Authorization = new("Bearer", staff); return c; }).ToList();
            var queue = new ConcurrentQueue<string>(references);
            var acknowledged = new ConcurrentDictionary<string, CrossingAtPortResult>();
            var ackTimes = new ConcurrentBag<double>();
            var answers = new ConcurrentDictionary<int, int>();
            var retried = 0;
            var watch = Stopwatch.StartNew();

            // Four desks, a car every 300 ms each, until the drills are over; an arrival that fails (no answer, or 5xx)
            // is sent again with its key, to the other node, until it is acknowledged.
            var drillsOver = false;
            async Task Desk(int desk)
            {
                while (!Volatile.Read(ref drillsOver) && queue.TryDequeue(out var reference))
                {
                    await Task.Delay(300);
                    for (var attempt = 0; ; attempt++)
                    {
                        using var request = ProcessScenarios.Arrival(reference, $"Lane {desk}");
                        try
                        {
                            using var response = await clients[(desk + attempt) % 2].SendAsync(request);
                            answers.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                            if ((int)response.StatusCode < 500)
                            {
                                response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{reference}: {await response.Content.ReadAsStringAsync()}");
                                acknowledged[reference] = (await response.Content.ReadFromJsonAsync<CrossingAtPortResult>(Json.Options))!;
                                ackTimes.Add(watch.Elapsed.TotalSeconds);
                                break;
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { answers.AddOrUpdate(0, 1, (_, n) => n + 1); }
                        if (attempt == 0) Interlocked.Increment(ref retried);
                        attempt.ShouldBeLessThan(200, $"{reference} never acknowledged");
                        await Task.Delay(250);
                    }
                }
            }

            // Readiness as a load balancer sees it, on the first node.
            var readiness = new ConcurrentQueue<(double At, int Status)>();
            using var probing = new CancellationTokenSource();
            var probe = Task.Run(async () =>
            {
                using var http = nodes[0].Client(1);
                http.Timeout = TimeSpan.FromSeconds(3);
                while (!probing.IsCancellationRequested)
                {
                    int status;
                    try { status = (int)(await http.GetAsync("/health/ready")).StatusCode; } catch (Exception) { status = 0; }
                    readiness.Enqueue((watch.Elapsed.TotalSeconds, status));
                    await Task.Delay(200);
                }
            });

            var desks = Enumerable.Range(0, 4).Select(Desk).ToList();
            var drills = new List<string>();
            foreach (var drill in new[] { "kill-postgres", "kill-node" })
            {
                await WaitUntilAsync(() => acknowledged.Count >= 60 * (drills.Count + 1) || desks.Any(d => d.IsFaulted), "desks under way");
                await WaitUntilAsync(async () => (await ClusterAsync("status")).Contains("Sync Standby"), "a synchronous standby", TimeSpan.FromSeconds(60));
                var leader = (await ClusterAsync("leader")).Trim();
                var killedAt = watch.Elapsed.TotalSeconds;
                var before = acknowledged.Count;
                await ClusterAsync($"{drill} {leader}");
                await WaitUntilAsync(async () => (await ClusterAsync("leader", check: false)).Trim() is { Length: > 0 } l && l != leader, "a new primary", TimeSpan.FromSeconds(60));
                var promotedAfter = watch.Elapsed.TotalSeconds - killedAt;
                // A crashed host comes back (its Patroni restarted) and rejoins as the standby that strict synchronous mode waits for.
                if (drill == "kill-node") await ClusterAsync($"start-node {leader}");
                await WaitUntilAsync(() => acknowledged.Count > before + 20 || desks.Any(d => d.IsFaulted), "arrivals acknowledged on the new primary", TimeSpan.FromSeconds(120));
                if (desks.FirstOrDefault(d => d.IsFaulted) is { } failed) await failed; // a desk's wrong answer, said as it is
                var gap = ackTimes.Where(t => t > killedAt - 1).Order().Prepend(killedAt).Pairwise().Max(p => p.Item2 - p.Item1);
                drills.Add($"{drill} {leader}: new primary after {promotedAfter:0.0} s, longest wait between acknowledgements {gap:0.0} s");
                output.WriteLine(drills[^1]);
            }

            // The synchronous standby's host crashes: the spare takes its place and writes go on. Then the spare's
            // too: strict synchronous mode acknowledges no commit that only the primary has; the commits wait (nothing
            // cancels them into a local success) until a standby is back.
            await WaitUntilAsync(async () => (await ClusterAsync("sync-standby", check: false)).Trim().Length > 0, "a synchronous standby", TimeSpan.FromSeconds(60));
            var primary = (await ClusterAsync("leader")).Trim();
            var standby = (await ClusterAsync("sync-standby")).Trim();
            var spare = Members.Except([primary, standby]).Single();
            var standbyKilledAt = watch.Elapsed.TotalSeconds;
            var beforeStandby = acknowledged.Count;
            await ClusterAsync($"kill-node {standby}");
            await WaitUntilAsync(() => acknowledged.Count > beforeStandby + 20 || desks.Any(d => d.IsFaulted), "arrivals acknowledged with the spare as the standby", TimeSpan.FromSeconds(120));
            var standbyGap = ackTimes.Where(t => t > standbyKilledAt - 1).Order().Prepend(standbyKilledAt).Pairwise().Max(p => p.Item2 - p.Item1);
            drills.Add($"kill-node {standby} (the synchronous standby): longest wait between acknowledgements {standbyGap:0.0} s");
            output.WriteLine(drills[^1]);
            await ClusterAsync($"kill-node {spare}");
            await Task.Delay(TimeSpan.FromSeconds(1)); // commits the spare confirmed before it died may still be answered
            var alone = acknowledged.Count;
            await Task.Delay(TimeSpan.FromSeconds(6));
            var acknowledgedAlone = acknowledged.Count - alone;
            await ClusterAsync($"start-node {standby}");
            await ClusterAsync($"start-node {spare}");
            await WaitUntilAsync(() => acknowledged.Count > alone + 20 || desks.Any(d => d.IsFaulted), "arrivals acknowledged with the standbys back", TimeSpan.FromSeconds(120));
            output.WriteLine($"kill-node {spare} too (no standby left): {acknowledgedAlone} arrivals acknowledged in 6 s with the primary alone");
            acknowledgedAlone.ShouldBe(0, "a commit only the primary holds is not acknowledged");

            Volatile.Write(ref drillsOver, true);
            await Task.WhenAll(desks);
            await probing.CancelAsync();
            await probe;

            var answered = string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Value}×{(a.Key == 0 ? "no answer" : a.Key.ToString())}"));
            output.WriteLine($"{acknowledged.Count} arrivals acknowledged; {retried} had to be sent again; answers: {answered}");
            var statuses = readiness.Select(r => r.Status).ToList();
            output.WriteLine($"readiness: {statuses.Count(s => s == 200)}×200, {statuses.Count(s => s == 503)}×503, {statuses.Count(s => s == 0)}× no answer");

            acknowledged.Count.ShouldBe(Crossings - queue.Count, "every arrival a desk began was acknowledged in the end");
            acknowledged.Values.ShouldAllBe(a => a.Status == CrossingStatus.Arrived);
            retried.ShouldBeGreaterThan(0, "the drills interrupted the desks");
            answers.Keys.ShouldNotContain(500, "while there is no primary the answer is 503, retry later");
            statuses.ShouldContain(503, "not ready while there was no primary");
            statuses[^1].ShouldBe(200, "ready again after, without a restart");

            // On the last primary: each acknowledged arrival exactly once, nothing else.
            await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                select c.data ->> 'BookingReference', count(e.*) from marhaba.mt_doc_crossing c
                left join marhaba.mt_events e on e.stream_id = c.id and e.type = 'crossing_arrived' group by 1
                """, conn);
            var stored = new Dictionary<string, long>();
            await using (var reader = await cmd.ExecuteReaderAsync())
                while (await reader.ReadAsync()) stored[reader.GetString(0)] = reader.GetInt64(1);
            var lost = acknowledged.Keys.Count(r => stored.GetValueOrDefault(r) == 0);
            var twice = stored.Values.Count(n => n > 1);
            output.WriteLine($"on the new primary: {stored.Values.Sum()} arrivals stored; acknowledged but lost: {lost}; stored twice: {twice}");
            lost.ShouldBe(0);
            twice.ShouldBe(0);
            stored.Values.Sum().ShouldBe(acknowledged.Count, "nothing stored that was not acknowledged");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            await ClusterAsync("down", check: false, fast: true);
        }
    }

    /// <summary>
    /// The standby's host is down; a port agent's keyed arrival waits for it, the agent's tablet gives up after 3 s and
    /// sends it again, and again. No retry is answered 200 while the primary alone holds the arrival: its commit keeps
    /// waiting for the standby whatever the client does, and a kept answer is replayed only once a standby holds it.
    /// When the standby is back, the retry gets the original answer and the standby has the arrival. Then the same with
    /// a second arrival, but the primary's host is lost for good before the standby returns, and the standby is promoted
    /// by hand: every arrival ever acknowledged is on it.
    /// </summary>
    [Fact]
    public async Task a_write_is_acknowledged_only_once_the_standby_holds_it_whatever_the_client_does()
    {
        await ClusterAsync("up");
        ServerProcess? node = null;
        try
        {
            var connection = (await ClusterAsync("connection")).Trim();
            node = await ServerProcess.StartAsync(connection, Key);
            var tokens = new TokenIssuer(new AuthOptions { SigningKey = Key });
            var references = await ProcessScenarios.BookAndSailAsync(node, tokens, 12);
            using var desk = node.Client(8);
            desk.DefaultRequestHeaders.Authorization = new("Bearer", tokens.Mint("staff-tanger-med", [Roles.PortStaff], ["MAPTM"]));
            using var probe = node.Client(1);

            var acknowledged = new List<string>();
            async Task<int> SendAsync(string reference)
            {
                using var request = ProcessScenarios.Arrival(reference, "Lane 2");
                using var givesUp = new CancellationTokenSource(TimeSpan.FromSeconds(3)); // the tablet's patience
                try
                {
                    using var response = await desk.SendAsync(request, givesUp.Token);
                    if (response.StatusCode == HttpStatusCode.OK) acknowledged.Add(reference);
                    return (int)response.StatusCode;
                }
                catch (TaskCanceledException) { return 0; } // no answer within 3 s
            }
            for (var i = 0; i < 4; i++) (await SendAsync(references[i])).ShouldBe(200, "with both database servers up");

            // The standby's host crashes: the node is no longer ready for writes, and says why.
            var primary = (await ClusterAsync("leader")).Trim();
            var standby = primary == "pg1" ? "pg2" : "pg1";
            await ClusterAsync($"kill-node {standby}");
            var notReady = await ReadinessAsync(probe, want: 503, within: TimeSpan.FromSeconds(5));
            output.WriteLine($"standby {standby} killed: readiness 503 after {notReady.After.TotalSeconds:0.0} s: {notReady.Body}");
            notReady.Body.ShouldContain("No synchronous standby");

            // An arrival whose tablet gives up, then its retries: none is acknowledged while the primary alone holds it.
            var waiting = references[4];
            var answers = new List<int>();
            for (var attempt = 0; attempt < 4; attempt++) answers.Add(await SendAsync(waiting));
            output.WriteLine($"arrival {waiting} with the standby down: answers {string.Join(", ", answers.Select(a => a == 0 ? "none" : a.ToString()))}");
            answers.ShouldNotContain(200, "acknowledged while only the primary held it");
            answers.ShouldNotContain(500);

            // The standby returns: the retry gets the original answer, and the standby holds the arrival.
            await ClusterAsync($"start-node {standby}");
            await ReadinessAsync(probe, want: 200, within: TimeSpan.FromSeconds(60));
            int again;
            for (var attempt = 0; (again = await SendAsync(waiting)) != 200; attempt++)
            {
                again.ShouldNotBe(500);
                attempt.ShouldBeLessThan(20, "the retry is answered once the standby is back");
            }
            var standbyConnection = (await ClusterAsync($"node-connection {standby}")).Trim();
            await WaitUntilAsync(async () => await ArrivedAsync(standbyConnection, waiting), "the arrival replayed on the standby", TimeSpan.FromSeconds(10));

            // Again with another arrival, whose waiting commit an administrator cancels: PostgreSQL keeps it on the
            // primary alone and reports it done. Its retry is told to come back, not given the kept answer.
            await ClusterAsync($"kill-node {standby}");
            await ReadinessAsync(probe, want: 503, within: TimeSpan.FromSeconds(5));
            var lost = references[5];
            (await SendAsync(lost)).ShouldNotBe(200);
            var primaryConnection = (await ClusterAsync($"node-connection {primary}")).Trim();
            (await CancelCommitsWaitingForStandbyAsync(primaryConnection)).ShouldBeGreaterThan(0, "the arrival's commit waits for the standby");
            using (var retry = ProcessScenarios.Arrival(lost, "Lane 2"))
            using (var response = await desk.SendAsync(retry))
            {
                var body = await response.Content.ReadAsStringAsync();
                output.WriteLine($"retry of {lost}, kept on the primary alone: {(int)response.StatusCode} {body}");
                response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
                body.ShouldContain("Still being made safe");
            }

            // The primary's host is lost for good while the standby is down; the standby, started again, is promoted by hand.
            await ClusterAsync($"kill-node {primary}");
            await ClusterAsync($"promote-alone {standby}");
            foreach (var reference in acknowledged)
                (await ArrivedAsync(standbyConnection, reference)).ShouldBeTrue($"{reference} was acknowledged, and is lost with the primary");
            output.WriteLine($"{acknowledged.Count} arrivals acknowledged, all of them on the standby promoted alone; " +
                             $"the unacknowledged {lost} is {(await ArrivedAsync(standbyConnection, lost) ? "there" : "not there")}");
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
            await ClusterAsync("down", check: false, fast: true);
        }
    }

    /// <summary>Polls /health/ready until it answers <paramref name="want"/>: how long it took, and what it said.</summary>
    private static async Task<(TimeSpan After, string Body)> ReadinessAsync(HttpClient probe, int want, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await probe.GetAsync("/health/ready");
                if ((int)response.StatusCode == want) return (watch.Elapsed, await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException) { }
            if (watch.Elapsed > within) throw new TimeoutException($"/health/ready did not answer {want} within {within.TotalSeconds} s.");
            await Task.Delay(200);
        }
    }

    /// <summary>As an administrator might: cancels every statement that waits for the synchronous standby.</summary>
    private static async Task<long> CancelCommitsWaitingForStandbyAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) filter (where pg_cancel_backend(pid)) from pg_stat_activity where wait_event = 'SyncRep'", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Whether that database server holds the crossing's arrival.</summary>
    private static async Task<bool> ArrivedAsync(string connection, string reference)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            select count(*) from marhaba.mt_events e join marhaba.mt_doc_crossing c on e.stream_id = c.id
            where c.data ->> 'BookingReference' = $1 and e.type = 'crossing_arrived'
            """, conn);
        cmd.Parameters.Add(new() { Value = reference });
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }

    private async Task<string> ClusterAsync(string arguments, bool check = true, bool fast = false)
    {
        var parts = arguments.Split(' ');
        var start = new ProcessStartInfo("bash", [Script, .. parts, Dir, .. fast ? new[] { "--fast" } : []])
        {
            RedirectStandardOutput = true, RedirectStandardError = true
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"cluster.sh {arguments} exited with {process.ExitCode}: {await stderr}");
        if (parts[0] is "up") output.WriteLine((await stdout).Trim());
        return await stdout;
    }

    private static Task WaitUntilAsync(Func<bool> done, string what, TimeSpan? within = null) => WaitUntilAsync(() => Task.FromResult(done()), what, within);

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string what, TimeSpan? within = null)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            if (watch.Elapsed > (within ?? TimeSpan.FromSeconds(120))) throw new TimeoutException($"Waited in vain for {what}.");
            await Task.Delay(200);
        }
    }
}

internal static class PairwiseExtension
{
    public static IEnumerable<(T, T)> Pairwise<T>(this IEnumerable<T> items) => items.Zip(items.Skip(1));
}
