using Marhaba.Assistance;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;
using Xunit.Abstractions;

namespace Marhaba.Tests.Sailings;

public class when_many_travellers_book_the_last_places(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private async Task<Sailing> Load(Guid id)
    {
        await using var session = App.Store.QuerySession();
        return (await session.LoadAsync<Sailing>(id))!;
    }

    [Fact]
    public async Task two_hundred_simultaneous_bookings_on_two_server_nodes_for_fifty_places_end_with_fifty_booked()
    {
        var sailing = await ScheduleSailing(passengers: 1200, laneMetres: 0);
        // 1,150 places already taken: the last 50 are left.
        await Book(sailing.Id, 20, 0); // warm both paths before timing
        var sequential = Stopwatch.StartNew();
        for (var i = 0; i < 56; i++) await Book(sailing.Id, 20, 0);
        output.WriteLine($"56 sequential bookings: {sequential.ElapsedMilliseconds} ms");
        await Book(sailing.Id, 10, 0);
        (await Load(sailing.Id)).FreePassengerPlaces.ShouldBe(50);

        // A second server node on the same database: no in-memory lock could hold the line across both.
        await using var secondNode = await App.StartNodeAsync();
        var clients = new[] { Client(Operator), secondNode.Server.CreateClient() };
        clients[1].DefaultRequestHeaders.Authorization = new("Bearer", Operator);

        var watch = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            clients[i % 2].PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 1, 0, null))));
        watch.Stop();

        var booked = answers.Count(a => a.StatusCode == HttpStatusCode.Created);
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.Conflict);
        output.WriteLine($"200 parallel bookings on 2 nodes for 50 places: {booked} booked, {refused} refused (409), other {200 - booked - refused}, in {watch.ElapsedMilliseconds} ms");
        foreach (var odd in answers.Where(a => a.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)).Take(3))
            output.WriteLine($"{(int)odd.StatusCode}: {await odd.Content.ReadAsStringAsync()}");
        booked.ShouldBe(50);
        refused.ShouldBe(150);

        var after = await Load(sailing.Id);
        after.ReservedPassengers.ShouldBe(1200);
        after.FreePassengerPlaces.ShouldBe(0);
        await using var session = App.Store.QuerySession();
        (await session.Query<Crossing>().CountAsync(c => c.SailingId == sailing.Id)).ShouldBe(58 + 50);
        var events = await session.Events.FetchStreamAsync(sailing.Id);
        events.Select(e => e.Data).OfType<PlacesReserved>().Sum(r => r.Passengers).ShouldBe(1200);
        var refusal = await answers.First(a => a.StatusCode == HttpStatusCode.Conflict).Content.ReadAsStringAsync();
        refusal.ShouldContain("No passenger places left");
    }

    [Fact]
    public async Task a_van_takes_more_vehicle_room_than_a_car()
    {
        var sailing = await ScheduleSailing(laneMetres: 20);
        await Book(sailing.Id, 1, 0, new VehicleDetails(VehicleKind.Van, "VAN1", "F"));
        await Book(sailing.Id, 1, 0, new VehicleDetails(VehicleKind.Car, "CAR1", "F"));
        (await Load(sailing.Id)).ReservedLaneMetres.ShouldBe(VehicleRoom.LaneMetres(VehicleKind.Van) + VehicleRoom.LaneMetres(VehicleKind.Car));

        // 7 lane-metres left: a car fits, a second van would not.
        var van = await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Post.Json(new BookCrossing(sailing.Id, 1, 0, new VehicleDetails(VehicleKind.Van, "VAN2", "F"))).ToUrl("/api/crossings");
            s.StatusCodeShouldBe(409);
        });
        (await van.ReadAsTextAsync()).ShouldContain("No vehicle room left");
        await Book(sailing.Id, 1, 0, new VehicleDetails(VehicleKind.Car, "CAR2", "F"));
    }

    [Fact]
    public async Task a_capacity_below_what_is_booked_is_refused_with_the_reason()
    {
        var sailing = await ScheduleSailing(passengers: 100);
        await Book(sailing.Id, 20, 10);
        var refused = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new ChangeSailingCapacity(29, null, "smaller ship")).ToUrl($"/api/sailings/{sailing.Id}/capacity");
            s.StatusCodeShouldBe(409);
        });
        (await refused.ReadAsTextAsync()).ShouldContain("30 passengers are already booked");

        var changed = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new ChangeSailingCapacity(30, null, "smaller ship")).ToUrl($"/api/sailings/{sailing.Id}/capacity");
            s.StatusCodeShouldBe(200);
        });
        (await changed.ReadAsJsonAsync<SailingSummary>())!.PassengerCapacity.ShouldBe(30);
        (await Load(sailing.Id)).FreePassengerPlaces.ShouldBe(0);
    }

    [Fact]
    public async Task a_cancelled_crossing_frees_places_that_a_waiting_party_then_takes()
    {
        var sailing = await ScheduleSailing(passengers: 4);
        var first = await Book(sailing.Id, 2, 0);
        await Book(sailing.Id, 2, 0);

        await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Post.Json(new BookCrossing(sailing.Id, 2, 0, null)).ToUrl("/api/crossings");
            s.StatusCodeShouldBe(409);
        });
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Post.Json(new CancelCrossing(CancellationReason.Illness, "illness")).ToUrl($"/api/crossings/{first.CrossingId}/cancel");
            s.StatusCodeShouldBe(200);
        });
        await Book(sailing.Id, 2, 0);
        (await Load(sailing.Id)).ReservedPassengers.ShouldBe(4);
    }

    [Fact]
    public async Task a_crossing_rebooked_to_another_sailing_moves_its_places()
    {
        var first = await ScheduleSailing(passengers: 10);
        var second = await ScheduleSailing(passengers: 10, departure: App.Clock.GetUtcNow().AddDays(1));
        var booking = await Book(first.Id, 2, 1, new VehicleDetails(VehicleKind.Camper, "CAMP1", "NL"));

        var moved = await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Post.Json(new RebookCrossing(second.Id, RebookingReason.TravellerRequest, "later ferry")).ToUrl($"/api/crossings/{booking.CrossingId}/rebook");
            s.StatusCodeShouldBe(200);
        });
        (await moved.ReadAsJsonAsync<CrossingRebookedResponse>())!.ToSailingId.ShouldBe(second.Id);
        (await Load(first.Id)).ReservedPassengers.ShouldBe(0);
        (await Load(first.Id)).ReservedLaneMetres.ShouldBe(0);
        (await Load(second.Id)).ReservedPassengers.ShouldBe(3);
        (await Load(second.Id)).ReservedLaneMetres.ShouldBe(VehicleRoom.LaneMetres(VehicleKind.Camper));

        var other = await ScheduleSailing("ESALG-MAPTM", Direction.Inbound);
        var wrongRoute = await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Post.Json(new RebookCrossing(other.Id, null, null)).ToUrl($"/api/crossings/{booking.CrossingId}/rebook");
            s.StatusCodeShouldBe(400);
        });
        (await wrongRoute.ReadAsTextAsync()).ShouldContain("\"field\":\"sailingId\"");
    }

    [Fact]
    public async Task a_cancelled_sailing_moves_its_crossings_to_the_next_sailings_with_room_in_booking_order()
    {
        var now = App.Clock.GetUtcNow();
        var cancelled = await ScheduleSailing(passengers: 100, departure: now.AddHours(5));
        var next = await ScheduleSailing(passengers: 5, departure: now.AddHours(29));
        var after = await ScheduleSailing(passengers: 4, departure: now.AddHours(53));
        var a = await Book(cancelled.Id, 3, 0);
        var b = await Book(cancelled.Id, 2, 0);
        var c = await Book(cancelled.Id, 4, 0);
        var d = await Book(cancelled.Id, 1, 1);

        await Host.ExecuteAndWaitAsync((Func<Task>)(async () => await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new CancelSailing("strike of the port workers")).ToUrl($"/api/sailings/{cancelled.Id}/cancellation");
            s.StatusCodeShouldBe(200);
        })));

        await using var session = App.Store.QuerySession();
        async Task<Crossing> Get(CrossingBookedResponse r) => (await session.LoadAsync<Crossing>(r.CrossingId))!;
        (await Get(a)).SailingId.ShouldBe(next.Id);     // 3 of 5
        (await Get(b)).SailingId.ShouldBe(next.Id);     // 5 of 5
        (await Get(c)).SailingId.ShouldBe(after.Id);    // 4 of 4
        var stranded = await Get(d);                      // nowhere with room
        stranded.SailingId.ShouldBe(cancelled.Id);
        stranded.LeftWithoutSailing.ShouldBeTrue();
        (await session.LoadAsync<Sailing>(next.Id))!.ReservedPassengers.ShouldBe(5);
        (await session.LoadAsync<Sailing>(after.Id))!.ReservedPassengers.ShouldBe(4);

        var status = await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerStatusRequest(a.BookingReference, a.AccessCode)).ToUrl("/api/traveller/status");
        });
        var view = (await status.ReadAsJsonAsync<TravellerStatusResponse>())!;
        view.DepartureAt.ShouldBe(next.DepartureAt);
        view.Sailing.SailingId.ShouldBe(next.Id);
        view.History.Select(h => h.What).ShouldContain("rebooked");
        view.History.Single(h => h.What == "rebooked").Text.ShouldStartWith("Your sailing was cancelled: moved to the sailing leaving");

        // The party that fits nowhere is told so, and what to do, in French.
        var strandedView = (await (await Host.Scenario(s =>
            s.Post.Json(new TravellerStatusRequest(d.BookingReference, d.AccessCode, Language.fr)).ToUrl("/api/traveller/status"))).ReadAsJsonAsync<TravellerStatusResponse>())!;
        strandedView.AwaitingNewSailing.ShouldBeTrue();
        strandedView.NextStep.ShouldContain("080 000 23 23");
        strandedView.History.Select(h => h.Text).ShouldContain("Traversée annulée");
    }

    [Fact]
    public async Task a_malformed_booking_is_refused_while_a_burst_holds_the_sailing_and_does_not_queue_behind_it()
    {
        var sailing = await ScheduleSailing();
        // Another writer holds the sailing's row, as a burst of bookings does.
        await using var holder = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRow = new Npgsql.NpgsqlCommand("select 1 from marhaba.mt_streams where id = $1 for update", holder, hold) { Parameters = { new() { Value = sailing.Id } } })
            await lockRow.ExecuteNonQueryAsync();

        var wellFormed = Client(Operator).PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 2, 0, null));
        // Refused by its rules before it asks for the row: answered while the row is still held (the bound only ends a hang).
        var malformed = await Client(Operator).PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 0, 0, null)).WaitAsync(TimeSpan.FromSeconds(60));
        malformed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await malformed.Content.ReadAsStringAsync()).ShouldContain("adults");
        wellFormed.IsCompleted.ShouldBeFalse("the well-formed booking waits for the sailing's row");

        await hold.RollbackAsync();
        (await wellFormed).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Load(sailing.Id)).ReservedPassengers.ShouldBe(2);
    }
}
