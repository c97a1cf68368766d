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
/// PostgreSQL as a Patroni cluster (ops/ha/cluster.sh: etcd, a primary and a strict synchronous standby on loopback)
/// under two server nodes whose connection string lists both hosts. Port desks record keyed arrivals through both
/// nodes, sending again what fails; meanwhile the primary's PostgreSQL is killed, and later the new primary's whole
/// node (Patroni and PostgreSQL, as a host crash). Patroni promotes the standby each time, the nodes follow it by
/// themselves, and every acknowledged arrival is on the last primary exactly once.
/// </summary>
public class when_the_primary_database_fails_over(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private const string Key = "failover-signing-key-0123456789abcdef0123456789abcd";
    private const int Crossings = 900;
    private static readonly string Dir = "/var/tmp/marhaba-ha-tests";
    private static readonly string Script = Path.Combine(EmbeddedPostgres.FindWorkingTreeRoot(), "ops", "ha", "cluster.sh");

    [Fact]
    public async Task every_acknowledged_arrival_is_on_the_new_primary_once_and_every_retry_gets_the_original_answer()
    {
        await ClusterAsync("up");
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

            // The standby's host crashes. Strict synchronous mode acknowledges no commit that only the primary has: the
            // commits wait (no client-side timeout cancels them into a local success) until the standby is back.
            await WaitUntilAsync(async () => (await ClusterAsync("status")).Contains("Sync Standby"), "a synchronous standby", TimeSpan.FromSeconds(60));
            var primary = (await ClusterAsync("leader")).Trim();
            var standby = primary == "pg1" ? "pg2" : "pg1";
            await ClusterAsync($"kill-node {standby}");
            await Task.Delay(TimeSpan.FromSeconds(1)); // commits the standby confirmed before it died may still be answered
            var alone = acknowledged.Count;
            await Task.Delay(TimeSpan.FromSeconds(6));
            var acknowledgedAlone = acknowledged.Count - alone;
            await ClusterAsync($"start-node {standby}");
            await WaitUntilAsync(() => acknowledged.Count > alone + 20 || desks.Any(d => d.IsFaulted), "arrivals acknowledged with the standby back", TimeSpan.FromSeconds(120));
            output.WriteLine($"kill-node {standby} (the standby): {acknowledgedAlone} arrivals acknowledged in 6 s with the primary alone");
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
