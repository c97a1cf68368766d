using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marhaba.Simulator;
using Marten;
using Npgsql;
using Xunit.Abstractions;

namespace Marhaba.Tests.Faults;

/// <summary>
/// A request sent with an Idempotency-Key is carried out once and always answered as it was the first time:
/// when its duplicate arrives while it is held up, and when the server dies after committing it but before
/// answering.
/// </summary>
public class when_a_keyed_request_meets_a_crash_or_its_duplicate(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    [Fact]
    public async Task a_booking_held_up_longer_than_any_time_limit_and_its_duplicate_book_once_and_get_one_answer()
    {
        var sailing = await ScheduleSailing();
        var key = Guid.NewGuid().ToString();
        Task<HttpResponseMessage> Book()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/crossings") { Content = JsonContent.Create(new BookCrossing(sailing.Id, 2, 1, null)) };
            request.Headers.Add(Idempotency.Header, key);
            return Client(Operator).SendAsync(request);
        }

        // Another writer holds the sailing's row (a burst of bookings, say): the booking waits behind it.
        await using var holder = new NpgsqlConnection(App.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from marhaba.mt_streams where id = $1 for update", holder, hold) { Parameters = { new() { Value = sailing.Id } } })
            await lockRow.ExecuteNonQueryAsync();

        var first = Book();
        // Longer than the 10 s after which the earlier design let a retry take over a request in progress.
        await Task.Delay(TimeSpan.FromSeconds(12));
        first.IsCompleted.ShouldBeFalse("the booking waits for the sailing's row");
        var duplicate = Book();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await hold.RollbackAsync();

        var answers = await Task.WhenAll(first, duplicate);
        var bodies = new List<CrossingBookedResponse>();
        foreach (var answer in answers)
        {
            answer.StatusCode.ShouldBe(HttpStatusCode.Created, await answer.Content.ReadAsStringAsync());
            bodies.Add((await answer.Content.ReadFromJsonAsync<CrossingBookedResponse>(Json.Options))!);
        }
        output.WriteLine($"answers: {string.Join(", ", answers.Select(a => $"{(int)a.StatusCode}{(a.Headers.Contains("Idempotent-Replayed") ? " replayed" : "")}"))}; reference {bodies[0].BookingReference}");
        bodies[1].ShouldBe(bodies[0]);
        answers.Count(a => a.Headers.Contains("Idempotent-Replayed")).ShouldBe(1);

        await using var session = App.Store.QuerySession();
        (await session.Query<Crossing>().Where(c => c.SailingId == sailing.Id).CountAsync()).ShouldBe(1);
        var reserved = (await session.Events.FetchStreamAsync(sailing.Id)).Select(e => e.Data).OfType<PlacesReserved>().ToList();
        reserved.ShouldHaveSingleItem().Passengers.ShouldBe(3);
    }

    [Fact]
    public async Task an_arrival_committed_by_a_server_that_died_before_answering_is_answered_as_recorded_on_its_retry()
    {
        const string database = "marhaba_crash_tests";
        var cluster = EmbeddedPostgres.ForWorkingTree();
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await cluster.EnsureStartedAsync("postgres")) { Pooling = false }.ConnectionString))
        {
            await conn.OpenAsync();
            await new NpgsqlCommand($"drop database if exists {database} with (force)", conn).ExecuteNonQueryAsync();
        }
        var connection = await cluster.EnsureStartedAsync(database);
        var signingKey = new string('c', 48);
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = signingKey });
        var key = "arrival-" + Guid.NewGuid();

        // The first server is told to die right after committing the request sent with this key.
        var doomed = await ServerProcess.StartAsync(connection, signingKey, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Faults__CrashAfterCommitOf"] = key,
        });
        using var client = doomed.Client(2);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
        var sailing = (await (await client.PostAsJsonAsync("/api/sailings", new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", "Tanger Express",
            DateTimeOffset.UtcNow.AddHours(2), null, 1200, 0), Json.Options)).Content.ReadFromJsonAsync<SailingSummary>(Json.Options))!;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("operator", [Roles.Operator], company: "FRS"));
        var booking = (await (await client.PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 2, 0, null), Json.Options))
            .Content.ReadFromJsonAsync<CrossingBookedResponse>(Json.Options))!;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
        (await client.PostAsJsonAsync($"/api/sailings/{sailing.Id}/departure", new RecordDeparture(null, null, null), Json.Options)).EnsureSuccessStatusCode();

        var staff = tokens.Mint("staff-tanger-med", [Roles.PortStaff], ["MAPTM"]);
        HttpRequestMessage Arrival()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/ports/MAPTM/arrivals") { Content = JsonContent.Create(new CrossingAtPort(booking.BookingReference, null, "Lane 3", null)) };
            request.Headers.Add(Idempotency.Header, key);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", staff);
            return request;
        }
        var lost = await Should.ThrowAsync<HttpRequestException>(async () =>
        {
            using var unexpected = await client.SendAsync(Arrival());
            output.WriteLine($"answered: {(int)unexpected.StatusCode} {await unexpected.Content.ReadAsStringAsync()}");
        });
        output.WriteLine($"the first server died unanswered: {lost.Message}");
        await doomed.DisposeAsync();
        (await CountArrivals(connection, booking.CrossingId)).ShouldBe(1, "the arrival was committed before the server died");

        await using var next = await ServerProcess.StartAsync(connection, signingKey);
        using var retryClient = next.Client(2);
        var retry = await retryClient.SendAsync(Arrival());
        var text = await retry.Content.ReadAsStringAsync();
        output.WriteLine($"retry on the next server: {(int)retry.StatusCode} replayed={retry.Headers.Contains("Idempotent-Replayed")} {text}");
        retry.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        retry.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        var answer = (await retry.Content.ReadFromJsonAsync<CrossingAtPortResult>(Json.Options))!;
        answer.ShouldBe(new CrossingAtPortResult(booking.CrossingId, booking.BookingReference, CrossingStatus.Arrived));
        (await CountArrivals(connection, booking.CrossingId)).ShouldBe(1, "the retry recorded nothing more");
    }

    private static async Task<long> CountArrivals(string connection, Guid crossingId)
    {
        await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from marhaba.mt_events where stream_id = $1 and type = 'crossing_arrived'", conn) { Parameters = { new() { Value = crossingId } } };
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
