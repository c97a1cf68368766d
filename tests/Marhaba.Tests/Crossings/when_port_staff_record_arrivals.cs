using System.Net;
using System.Net.Http.Json;
using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;

namespace Marhaba.Tests.Crossings;

public class when_port_staff_record_arrivals(AppFixture app) : Scenario(app)
{
    private async Task<int> ArrivalEvents(Guid crossingId)
    {
        await using var session = App.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(crossingId);
        return events.Count(e => e.Data is CrossingArrived);
    }

    /// <summary>A crossing from before stream ids were derived from references: its id is random.</summary>
    private async Task<(Guid Id, string Reference)> BookedBeforeIdsWereDerivedAsync(SailingSummary sailing)
    {
        var (id, reference) = (Guid.CreateVersion7(), Codes.NewBookingReference());
        await using var write = App.Store.LightweightSession();
        write.Events.StartStream<Crossing>(id, new CrossingBooked(id, reference, sailing.Id, sailing.RouteCode, sailing.Direction,
            sailing.Origin, sailing.Destination, sailing.DepartureAt, sailing.ArrivalAt, 1, 0, null, sailing.DepartureAt.AddDays(-3), "operator"));
        write.Events.Append(sailing.Id, new PlacesReserved(id, 1, 0));
        await write.SaveChangesAsync();
        return (id, reference);
    }

    [Fact]
    public async Task a_crossing_booked_checked_in_and_embarked_at_genova_is_recorded_arriving_at_tanger_med_and_the_traveller_sees_it()
    {
        var (booking, _) = await BookedAndSailed();
        var desk = new CrossingAtPort(booking.BookingReference, null, "B7", null);

        await Record("ITGOA", PortStaff("ITGOA"), desk, 200, action: "check-ins");
        await Record("ITGOA", PortStaff("ITGOA"), desk, 200, action: "boardings");
        var arrival = await Record("MAPTM", PortStaff("MAPTM"), desk with { Lane = "Lane 4" }, 200);
        (await arrival.ReadAsJsonAsync<CrossingAtPortResult>())!.Status.ShouldBe(CrossingStatus.Arrived);

        var status = await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerStatusRequest(booking.BookingReference.ToLowerInvariant(), booking.AccessCode)).ToUrl("/api/traveller/status");
            s.StatusCodeShouldBe(200);
        });
        var view = (await status.ReadAsJsonAsync<TravellerStatusResponse>())!;
        view.Status.ShouldBe(CrossingStatus.Arrived);
        view.DestinationName.ShouldBe("Tanger Med");
        view.History.Select(h => h.What).ShouldBe(["booked", "checked-in", "embarked", "arrived"]);
        view.History[^1].Port.ShouldBe("MAPTM");
    }

    [Fact]
    public async Task a_crossing_opens_from_its_reference_alone_and_one_booked_with_a_random_id_is_still_found()
    {
        var (booking, sailing) = await BookedAndSailed();
        booking.CrossingId.ShouldBe(Codes.CrossingIdOf(booking.BookingReference));

        var (oldId, oldReference) = await BookedBeforeIdsWereDerivedAsync(sailing);

        foreach (var reference in new[] { booking.BookingReference, oldReference.ToLowerInvariant() })
            await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(reference, null, "Lane 2", null), 200);

        await using var read = App.Store.QuerySession();
        (await read.LoadAsync<Crossing>(booking.CrossingId))!.Status.ShouldBe(CrossingStatus.Arrived);
        (await read.LoadAsync<Crossing>(oldId))!.Status.ShouldBe(CrossingStatus.Arrived);
        (await read.Events.FetchStreamStateAsync(Codes.CrossingIdOf(oldReference))).ShouldBeNull("looking under the derived id leaves no empty stream behind");
    }

    [Fact]
    public async Task a_ships_list_mixing_derived_and_random_ids_records_both_against_their_sailing()
    {
        var (booking, sailing) = await BookedAndSailed();
        var (oldId, oldReference) = await BookedBeforeIdsWereDerivedAsync(sailing);

        var result = await Record("MAPTM", PortStaff("MAPTM"), new RecordArrivals([
            new CrossingAtPort(booking.BookingReference, null, "Lane 1", null), new CrossingAtPort(oldReference, null, "Lane 1", null)]), 200, action: "arrivals/batch");

        var answer = (await result.ReadAsJsonAsync<RecordArrivalsResponse>())!;
        answer.Recorded.ShouldBe(2, string.Join("; ", answer.Items.Select(i => i.Reason)));
        (await ArrivalEvents(booking.CrossingId)).ShouldBe(1);
        (await ArrivalEvents(oldId)).ShouldBe(1);
    }

    [Fact]
    public async Task a_double_tap_with_the_same_idempotency_key_records_one_arrival_and_answers_the_same()
    {
        var (booking, _) = await BookedAndSailed();
        var body = new CrossingAtPort(booking.BookingReference, null, "3", null);

        var first = await Record("MAPTM", PortStaff("MAPTM"), body, 200, key: "tap-1");
        var second = await Record("MAPTM", PortStaff("MAPTM"), body, 200, key: "tap-1");

        second.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBe("true");
        (await second.ReadAsTextAsync()).ShouldBe(await first.ReadAsTextAsync());
        (await ArrivalEvents(booking.CrossingId)).ShouldBe(1);
    }

    [Fact]
    public async Task a_retry_written_another_way_is_the_same_request_and_gets_the_first_answer()
    {
        var (booking, _) = await BookedAndSailed();
        async Task<HttpResponseMessage> Send(string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/ports/MAPTM/arrivals")
            {
                Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json")
            };
            request.Headers.Add(Idempotency.Header, "written-twice");
            return await Client(PortStaff("MAPTM")).SendAsync(request);
        }

        // The tablet's second library writes the same request with its members in another order, case and spacing.
        var first = await Send($$"""{"bookingReference":"{{booking.BookingReference}}","lane":"3"}""");
        var second = await Send($$"""{ "Lane" : "3",  "BOOKINGREFERENCE" : "{{booking.BookingReference}}" }""");

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        (await ArrivalEvents(booking.CrossingId)).ShouldBe(1);
    }

    [Fact]
    public async Task a_key_reused_for_another_picture_at_the_desks_scanner_is_refused_and_the_same_picture_gets_its_answer_again()
    {
        // The scanner reads its body itself (a picture's bytes): the key's fingerprint is those bytes.
        async Task<HttpResponseMessage> Scan(byte shade)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/ports/MAPTM/desk/scan?width=21&height=21")
            {
                Content = new ByteArrayContent(Enumerable.Repeat(shade, 21 * 21).ToArray())
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
            request.Headers.Add(Idempotency.Header, "scan-twice");
            return await Client(PortStaff("MAPTM")).SendAsync(request);
        }

        var first = await Scan(200);
        first.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await first.Content.ReadAsStringAsync()).ShouldContain("No booking");

        var again = await Scan(200);
        again.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await again.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());

        var other = await Scan(30);
        other.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        other.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        (await other.Content.ReadAsStringAsync()).ShouldContain("used for a different request");
    }

    [Fact]
    public async Task the_same_key_for_a_different_request_is_refused()
    {
        var (booking, _) = await BookedAndSailed();
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(booking.BookingReference, null, "3", null), 200, key: "k-7");
        var reused = await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(booking.BookingReference, null, "4", null), 422, key: "k-7");
        (await reused.ReadAsTextAsync()).ShouldContain("Idempotency-Key");
    }

    [Fact]
    public async Task a_second_arrival_without_a_key_is_refused_as_already_arrived()
    {
        var (booking, _) = await BookedAndSailed();
        var body = new CrossingAtPort(booking.BookingReference, null, null, null);
        await Record("MAPTM", PortStaff("MAPTM"), body, 200);
        var again = await Record("MAPTM", PortStaff("MAPTM"), body, 409);
        (await again.ReadAsTextAsync()).ShouldContain("already arrived");
        (await ArrivalEvents(booking.CrossingId)).ShouldBe(1);
    }

    [Fact]
    public async Task simultaneous_arrivals_of_one_crossing_record_it_once()
    {
        var (booking, _) = await BookedAndSailed();
        var client = Client(PortStaff("MAPTM"));
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            client.PostAsJsonAsync("/api/ports/MAPTM/arrivals", new CrossingAtPort(booking.BookingReference, null, null, null))));

        answers.Count(a => a.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        answers.Where(a => a.StatusCode != HttpStatusCode.OK).ShouldAllBe(a => a.StatusCode == HttpStatusCode.Conflict);
        (await ArrivalEvents(booking.CrossingId)).ShouldBe(1);
    }

    [Fact]
    public async Task an_arrival_is_found_by_vehicle_plate_written_any_way()
    {
        var (booking, _) = await BookedAndSailed(new VehicleDetails(VehicleKind.Van, "GE 451 XK", "I"));
        var result = await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(null, "ge-451-xk", "Lane 2", null), 200);
        (await result.ReadAsJsonAsync<CrossingAtPortResult>())!.CrossingId.ShouldBe(booking.CrossingId);
    }

    [Fact]
    public async Task an_arrival_at_another_port_than_the_destination_is_refused_naming_the_port()
    {
        var (booking, _) = await BookedAndSailed();
        var result = await Record("MANDR", PortStaff("MANDR"), new CrossingAtPort(booking.BookingReference, null, null, null), 400);
        var text = await result.ReadAsTextAsync();
        text.ShouldContain("\"field\":\"port\"");
        text.ShouldContain("bound for MAPTM, not MANDR");
    }

    [Fact]
    public async Task an_unknown_crossing_is_not_found()
    {
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort("MRH-XXXXXXXXXX", null, null, null), 404);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(null, "ZZ999ZZ", null, null), 404);
    }

    [Fact]
    public async Task a_cancelled_crossing_cannot_arrive_and_the_answer_says_why()
    {
        var (booking, sailing) = await BookedAndSailed();
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Post.Json(new CancelCrossing(CancellationReason.FamilyEmergency, "family emergency, the mother is ill")).ToUrl($"/api/crossings/{booking.CrossingId}/cancel");
            s.StatusCodeShouldBe(200);
        });

        var refused = await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(booking.BookingReference, null, null, null), 409);
        (await refused.ReadAsTextAsync()).ShouldContain("was cancelled");

        await using var session = App.Store.QuerySession();
        var after = await session.LoadAsync<Sailing>(sailing.Id);
        after!.ReservedPassengers.ShouldBe(0, "cancellation gives the places back");
    }

    [Fact]
    public async Task a_crossing_is_checked_in_only_once()
    {
        var (booking, _) = await BookedAndSailed();
        var desk = new CrossingAtPort(booking.BookingReference, null, null, null);
        await Record("ITGOA", PortStaff("ITGOA"), desk, 200, action: "check-ins");
        var again = await Record("ITGOA", PortStaff("ITGOA"), desk, 409, action: "check-ins");
        (await again.ReadAsTextAsync()).ShouldContain("checked in only once");
    }

    [Fact]
    public async Task boarding_before_check_in_is_refused()
    {
        var (booking, _) = await BookedAndSailed();
        var refused = await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(booking.BookingReference, null, null, null), 409, action: "boardings");
        (await refused.ReadAsTextAsync()).ShouldContain("check it in before boarding");
    }

    [Fact]
    public async Task clearance_and_exit_complete_the_crossing_in_order()
    {
        var (booking, _) = await BookedAndSailed();
        var desk = new CrossingAtPort(booking.BookingReference, null, null, null);
        await Record("MAPTM", PortStaff("MAPTM"), desk, 409, action: "clearances");
        await Record("MAPTM", PortStaff("MAPTM"), desk, 200);
        await Record("MAPTM", PortStaff("MAPTM"), desk, 409, action: "exits");
        await Record("MAPTM", PortStaff("MAPTM"), desk, 200, action: "clearances");
        var done = await Record("MAPTM", PortStaff("MAPTM"), desk, 200, action: "exits");
        (await done.ReadAsJsonAsync<CrossingAtPortResult>())!.Status.ShouldBe(CrossingStatus.Completed);
    }

    [Fact]
    public async Task an_arrival_in_the_future_is_refused_naming_the_field()
    {
        var (booking, _) = await BookedAndSailed();
        var result = await Record("MAPTM", PortStaff("MAPTM"),
            new CrossingAtPort(booking.BookingReference, null, null, App.Clock.GetUtcNow().AddHours(2)), 400);
        (await result.ReadAsTextAsync()).ShouldContain("\"field\":\"occurredAt\"");
    }

    [Fact]
    public async Task a_whole_ship_is_recorded_in_one_batch_with_an_answer_per_item()
    {
        var sailing = await ScheduleSailing();
        var bookings = new List<CrossingBookedResponse>();
        for (var i = 0; i < 5; i++) bookings.Add(await Book(sailing.Id, 1, 0, null));
        ShipLeft(sailing);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(bookings[4].BookingReference, null, null, null), 200);

        var items = bookings.Select(b => (CrossingAtPort?)new CrossingAtPort(b.BookingReference, null, "Lane 1", null)).ToList();
        items.Add(new CrossingAtPort("MRH-XXXXXXXXXX", null, null, null));
        items.Add(new CrossingAtPort(bookings[0].BookingReference, null, null, null));
        items.Add(new CrossingAtPort(null, null, null, null));

        var result = await Record("MAPTM", PortStaff("MAPTM"), new RecordArrivals(items), 200, action: "arrivals/batch");
        var answer = (await result.ReadAsJsonAsync<RecordArrivalsResponse>())!;

        answer.Recorded.ShouldBe(4);
        answer.Refused.ShouldBe(4);
        answer.Items.Take(4).ShouldAllBe(i => i.Recorded);
        answer.Items[4].Problem.ShouldBe(409); // arrived before the batch
        answer.Items[5].Problem.ShouldBe(404);
        answer.Items[6].Reason.ShouldNotBeNull().ShouldContain("more than once");
        answer.Items[7].Problem.ShouldBe(400);
        foreach (var b in bookings) (await ArrivalEvents(b.CrossingId)).ShouldBe(1);
    }
}
