using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Alba;
using JasperFx.Events.Daemon;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Xunit.Abstractions;

namespace Marhaba.Tests.Faults;

/// <summary>
/// Port staff record a ship's arrivals while PostgreSQL restarts under them (on a cluster this test
/// owns). Nothing acknowledged is lost; what failed is retried with its key, recorded once, and a retry of
/// one that was committed unanswered gets the original answer.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class when_the_database_restarts_under_load(ITestOutputHelper output)
{
    [Fact]
    public async Task every_acknowledged_arrival_survives_and_every_retried_one_is_recorded_once()
    {
        var tree = Directory.CreateTempSubdirectory("marhaba-restart-").FullName;
        File.SetUnixFileMode(tree, (UnixFileMode)0b111_101_101);
        var cluster = EmbeddedPostgres.ForWorkingTree(tree);
        try
        {
            var connection = await cluster.EnsureStartedAsync("restart");
            var key = new string('k', 48);
            var logs = new LogCapture();
            await using var host = await AlbaHost.For<Program>(x =>
            {
                x.UseSetting("ConnectionStrings:Marhaba", connection + ";Timeout=3;Command Timeout=10");
                x.UseSetting("Auth:SigningKey", key);
                x.UseSetting(TravellerAccess.KeySetting, key);
                x.UseSetting("Demo:Seed", "false");
                x.UseSetting("Logging:LogLevel:Marten", "Information");
                x.ConfigureServices(s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
                x.ConfigureServices(s => s.DisableAllExternalWolverineTransports()); // balanced, as in production: one node, its own leader
            });
            var tokens = new TokenIssuer(new AuthOptions { SigningKey = key });
            var client = host.Server.CreateClient();

            // A ship of 240 parties.
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
            var sailing = (await (await client.PostAsJsonAsync("/api/sailings", new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", "Tanger Express",
                DateTimeOffset.UtcNow.AddHours(2), null, 1200, 0), Json.Options)).Content.ReadFromJsonAsync<SailingSummary>(Json.Options))!;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("operator", [Roles.Operator], company: "FRS"));
            var references = new List<string>();
            for (var i = 0; i < 240; i++)
                references.Add((await (await client.PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 2, 1, null))).Content.ReadFromJsonAsync<CrossingBookedResponse>(Json.Options))!.BookingReference);
            // A traveller who looks at their booking before the restart, and again after it.
            var traveller = (await (await client.PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 1, 0, null))).Content.ReadFromJsonAsync<CrossingBookedResponse>(Json.Options))!;
            async Task<HttpStatusCode> TravellerLooksAsync()
            {
                using var response = await host.Server.CreateClient().PostAsJsonAsync("/api/traveller/status", new TravellerStatusRequest(traveller.BookingReference, traveller.AccessCode), Json.Options);
                return response.StatusCode;
            }
            (await TravellerLooksAsync()).ShouldBe(HttpStatusCode.OK);
            // The ship leaves Algeciras: its arrivals may be recorded.
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
            (await client.PostAsJsonAsync($"/api/sailings/{sailing.Id}/departure", new RecordDeparture(null, null, null))).EnsureSuccessStatusCode();

            // Four desks record them, retrying failures with the same Idempotency-Key.
            var staff = tokens.Mint("staff-tanger-med", [Roles.PortStaff], ["MAPTM"]);
            var acknowledged = new ConcurrentBag<string>();
            var replayed = new ConcurrentBag<string>();
            var refusedOnRetry = new ConcurrentBag<string>();
            var errors = new ConcurrentDictionary<string, int>();
            var queue = new ConcurrentQueue<string>(references);
            async Task Desk()
            {
                var desk = host.Server.CreateClient();
                desk.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", staff);
                while (queue.TryDequeue(out var reference))
                {
                    for (var attempt = 0; ; attempt++)
                    {
                        var request = new HttpRequestMessage(HttpMethod.Post, "/api/ports/MAPTM/arrivals") { Content = JsonContent.Create(new CrossingAtPort(reference, null, "Lane 2", null)) };
                        request.Headers.Add(Idempotency.Header, "arrival-" + reference);
                        using var response = await desk.SendAsync(request);
                        if (response.IsSuccessStatusCode)
                        {
                            var answer = await response.Content.ReadFromJsonAsync<CrossingAtPortResult>(Json.Options);
                            if (answer!.BookingReference != reference || answer.Status != CrossingStatus.Arrived)
                                throw new InvalidOperationException($"{reference} answered {answer}");
                            if (response.Headers.Contains("Idempotent-Replayed")) replayed.Add(reference);
                            acknowledged.Add(reference);
                            break;
                        }
                        // A refusal of a retried arrival ("already arrived") would be a broken promise: the original answer is due.
                        if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                        {
                            refusedOnRetry.Add($"{reference} (attempt {attempt + 1}): {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                            break;
                        }
                        errors.AddOrUpdate($"{(int)response.StatusCode}", 1, (_, n) => n + 1);
                        if (attempt > 400) throw new InvalidOperationException($"{reference} never got through: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        await Task.Delay(100);
                    }
                }
            }
            var desks = Enumerable.Range(0, 4).Select(_ => Task.Run(Desk)).ToList();

            while (acknowledged.Count < 60) await Task.Delay(20);
            await cluster.StopAsync();
            var duringOutage = await host.Server.CreateClient().GetAsync("/health/ready");
            var acknowledgedBeforeRestart = acknowledged.Count;
            await Task.Delay(1500);
            await cluster.EnsureStartedAsync("restart");
            await Task.WhenAll(desks);

            var ready = await host.Server.CreateClient().GetAsync("/health/ready");
            // The first read after the restart, on connections pooled before it: answered, not a 503.
            (await TravellerLooksAsync()).ShouldBe(HttpStatusCode.OK);
            output.WriteLine($"{references.Count} arrivals, {acknowledgedBeforeRestart} acknowledged before the restart, {acknowledged.Count} in all, " +
                             $"{replayed.Count} answered from the kept original on a retry, {refusedOnRetry.Count} retries refused; " +
                             $"errors answered meanwhile: {string.Join(", ", errors.Select(e => $"{e.Value}×{e.Key}"))}; readiness during the outage {(int)duringOutage.StatusCode}, after {(int)ready.StatusCode}");

            duringOutage.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            ready.StatusCode.ShouldBe(HttpStatusCode.OK);
            errors.Keys.ShouldNotContain("500");
            refusedOnRetry.ShouldBeEmpty();
            acknowledged.Count.ShouldBe(references.Count);
            acknowledged.Distinct().Count().ShouldBe(references.Count);

            var store = host.Services.GetRequiredService<IDocumentStore>();
            await using var session = store.QuerySession();
            var arrivals = await session.Events.QueryRawEventDataOnly<CrossingArrived>().ToListAsync();
            arrivals.Count.ShouldBe(references.Count, "each arrival recorded exactly once");
            (await session.Query<Crossing>().Where(c => c.Status == CrossingStatus.Arrived).Select(c => c.BookingReference).ToListAsync())
                .ShouldBe(acknowledged, ignoreOrder: true);
            arrivals.Select(a => a.SailingId).ShouldAllBe(id => id == sailing.Id);

            // 90 s leaves room for Wolverine to restart a shard that the outage stopped (it does so once a shard has made no progress for 60 s).
            var waited = System.Diagnostics.Stopwatch.StartNew();
            await host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(90));
            // What the daemon decided about gaps in the event sequence: the first thing to read when a view misses an event.
            foreach (var entry in logs.Entries.Where(e => e.Message.Contains("high water", StringComparison.OrdinalIgnoreCase)
                         || e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning && e.Category.StartsWith("Marten") || e.Category.Contains("Daemon") || e.Category.Contains("Projection")))
                output.WriteLine($"{entry.Level} {entry.Category}: {entry.Message}");
            // Events the daemon skipped as poison (Marten's dead letters), with why.
            await using (var conn = new Npgsql.NpgsqlConnection(connection))
            {
                await conn.OpenAsync();
                await using var skipped = new Npgsql.NpgsqlCommand($"select data::text from {Database.Schema}.mt_doc_deadletterevent", conn);
                try { await using var reader = await skipped.ExecuteReaderAsync(); while (await reader.ReadAsync()) output.WriteLine($"dead letter: {reader.GetString(0)}"); }
                catch (Npgsql.PostgresException e) when (e.SqlState == "42P01") { }
            }
            output.WriteLine($"the asynchronous projections caught up {waited.Elapsed.TotalSeconds:0.0} s after the last arrival");
            var day = await session.LoadAsync<PortArrivals>(PortArrivals.Key("MAPTM", arrivals[0].ArrivedAt));
            day!.Crossings.ShouldBe(references.Count, "the asynchronous projections catch up");
        }
        finally
        {
            await cluster.StopAsync();
            Directory.Delete(tree, recursive: true);
        }
    }
}
