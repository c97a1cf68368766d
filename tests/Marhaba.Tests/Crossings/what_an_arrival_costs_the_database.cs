using System.Collections.Concurrent;
using System.Diagnostics;
using Alba;
using Marhaba.Crossings;
using Xunit.Abstractions;

namespace Marhaba.Tests.Crossings;

/// <summary>
/// The round trips to PostgreSQL one desk request makes, read from Npgsql's own trace of the request: each command or
/// batch sent is one round trip (the commit is one more, not traced as a command). The account check, cached for up to
/// two seconds, is counted apart. The bounds are the same work's hand-written transaction's (one read, one write); a
/// change that adds a round trip to the busiest writes fails here and says which statements it sent.
/// </summary>
public class what_an_arrival_costs_the_database(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private sealed class RoundTrips : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentBag<Activity> _stopped = [];

        public RoundTrips()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name is "Npgsql" or "Microsoft.AspNetCore",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Add
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>The statements the request to <paramref name="route"/> sent, one entry a round trip.</summary>
        public List<string> Of(string route)
        {
            var request = _stopped.Single(a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("http.route") as string == route);
            return _stopped.Where(a => a.Source.Name == "Npgsql" && a.TraceId == request.TraceId)
                .OrderBy(a => a.StartTimeUtc)
                .Select(a => (a.GetTagItem("db.query.text") ?? a.GetTagItem("db.statement") ?? a.DisplayName)!.ToString()!)
                .Where(sql => !sql.Contains("mt_doc_staffaccount"))
                .ToList();
        }

        public void Dispose() => _listener.Dispose();
    }

    private void Report(string what, List<string> trips)
    {
        output.WriteLine($"{what}: {trips.Count} round trips");
        foreach (var sql in trips) output.WriteLine($"  {sql.ReplaceLineEndings(" ")[..Math.Min(160, sql.Length)]}");
    }

    [Fact]
    public async Task a_keyed_arrival_by_reference_reads_once_and_writes_once()
    {
        var (booking, _) = await BookedAndSailed();
        using var trips = new RoundTrips();

        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(booking.BookingReference, null, "Lane 4", null), 200, key: "arrival-cost-1");

        var sent = trips.Of("/api/ports/{port}/arrivals");
        Report("keyed arrival", sent);
        sent.Count.ShouldBe(2, string.Join("\n", sent));
    }

    [Fact]
    public async Task a_ship_list_of_twenty_reads_once_and_writes_once()
    {
        var sailing = await ScheduleSailing();
        var bookings = new List<CrossingBookedResponse>();
        for (var i = 0; i < 20; i++) bookings.Add(await Book(sailing.Id, 1, 0));
        ShipLeft(sailing);
        using var trips = new RoundTrips();

        await Host.Scenario(s =>
        {
            s.WithBearerToken(PortStaff("MAPTM"));
            s.WithRequestHeader(Marhaba.Hosting.Idempotency.Header, "list-cost-1");
            s.Post.Json(new RecordArrivals(bookings.Select(b => (CrossingAtPort?)new CrossingAtPort(b.BookingReference, null, "Lane 1", null)).ToList()))
                .ToUrl("/api/ports/MAPTM/arrivals/batch");
            s.StatusCodeShouldBe(200);
        });

        var sent = trips.Of("/api/ports/{port}/arrivals/batch");
        Report("list of 20", sent);
        sent.Count.ShouldBe(2, string.Join("\n", sent));
    }
}
