using Alba;
using JasperFx.Events.Daemon;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Planning;
using Marhaba.Sailings;
using Marten;
using Marten.Events;

namespace Marhaba.Tests.Sailings;

/// <summary>A sailing delayed, moved to another berth, cancelled or gone: every crossing on it shows it, and the loads add up.</summary>
public class when_a_sailing_changes_its_crossings_follow(AppFixture app) : Scenario(app)
{
    private async Task<TravellerStatusResponse> Status(CrossingBookedResponse booking, Language? language = null) =>
        (await (await Host.Scenario(s => s.Post.Json(new TravellerStatusRequest(booking.BookingReference, booking.AccessCode, language))
            .ToUrl("/api/traveller/status"))).ReadAsJsonAsync<TravellerStatusResponse>())!;

    private async Task<CrossingView> StaffView(string url) =>
        (await (await Host.Scenario(s => { s.WithBearerToken(PortStaff("MAPTM")); s.Get.Url(url); })).ReadAsJsonAsync<CrossingView>())!;

    private Task<IScenarioResult> Planning(string action, Guid sailingId, object body, int status = 200) => Host.Scenario(s =>
    {
        s.WithBearerToken(Planner);
        s.Post.Json(body).ToUrl($"/api/sailings/{sailingId}/{action}");
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task a_delay_moves_the_times_every_traveller_desk_and_planner_sees()
    {
        var sailing = await ScheduleSailing();
        var family = await Book(sailing.Id, 2, 2);
        var later = sailing.DepartureAt.AddHours(3);

        await Planning("delay", sailing.Id, new DelaySailing(later, null, "Weather"));

        var status = await Status(family, Language.ar);
        status.DepartureAt.ShouldBe(later);
        status.ArrivalAt.ShouldBe(sailing.ArrivalAt.AddHours(3));
        status.Sailing.Delayed.ShouldBeTrue();
        status.Sailing.ScheduledDepartureAt.ShouldBe(sailing.DepartureAt);
        status.TextDirection.ShouldBe("rtl");
        status.History.Single(h => h.What == "sailing-delayed").Text.ShouldStartWith("تأخرت الرحلة");
        status.NextStep.ShouldStartWith("تأخير");

        (await StaffView($"/api/crossings/{family.CrossingId}")).DepartureAt.ShouldBe(later);
        (await StaffView($"/api/crossings?reference={family.BookingReference}")).ArrivalAt.ShouldBe(sailing.ArrivalAt.AddHours(3));
        var outlook = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/planning/sailings/{sailing.Id}"); });
        (await outlook.ReadAsJsonAsync<SailingOutlook>())!.ArrivalAt.ShouldBe(sailing.ArrivalAt.AddHours(3));
    }

    [Fact]
    public async Task a_no_show_is_marked_only_once_the_delayed_ship_has_really_left()
    {
        var now = App.Clock.GetUtcNow();
        var sailing = await ScheduleSailing(departure: now.AddHours(1));
        var absent = await Book(sailing.Id, 1, 0);
        await Planning("delay", sailing.Id, new DelaySailing(now.AddHours(4), null, "Technical"));

        // Past the booked time, before the delayed one: the ship is still at the quay.
        App.Clock.SetUtcNow(now.AddHours(2));
        var early = await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(absent.BookingReference, null, null, null), 409, action: "no-shows");
        (await early.ReadAsTextAsync()).ShouldContain("delayed");

        App.Clock.SetUtcNow(now.AddHours(4).AddMinutes(10));
        await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(absent.BookingReference, null, null, null), 200, action: "no-shows");
        (await Status(absent)).Status.ShouldBe(CrossingStatus.NoShow);
    }

    [Fact]
    public async Task an_arrival_is_refused_until_the_ship_has_left_and_accepted_once_its_departure_time_passed_even_unrecorded()
    {
        var now = App.Clock.GetUtcNow();
        var sailing = await ScheduleSailing(departure: now.AddHours(3));
        var booking = await Book(sailing.Id, 2, 0);
        var desk = new CrossingAtPort(booking.BookingReference, null, "Lane 2", null);

        var refused = await Record("MAPTM", PortStaff("MAPTM"), desk, 409);
        (await refused.ReadAsTextAsync()).ShouldContain("has not left ITGOA yet");
        var batch = await Host.Scenario(s =>
        {
            s.WithBearerToken(PortStaff("MAPTM"));
            s.Post.Json(new RecordArrivals([desk])).ToUrl("/api/ports/MAPTM/arrivals/batch");
        });
        (await batch.ReadAsJsonAsync<RecordArrivalsResponse>())!.Refused.ShouldBe(1);

        // Genova recorded no departure (its desk was offline); the ship's time has passed: it has left.
        App.Clock.SetUtcNow(now.AddHours(3).AddMinutes(1));
        await Record("MAPTM", PortStaff("MAPTM"), desk, 200);
    }

    [Fact]
    public async Task a_sailing_through_every_kind_of_change_has_loads_equal_to_a_count_of_its_crossings()
    {
        var now = App.Clock.GetUtcNow();
        var sailing = await ScheduleSailing(departure: now.AddHours(2));
        var other = await ScheduleSailing(departure: now.AddHours(26));
        var car = new VehicleDetails(VehicleKind.Car, "AA111AA", "F");
        var travels = await Book(sailing.Id, 2, 1, car);
        var cancelledAfterCheckIn = await Book(sailing.Id, 2, 0, car with { Plate = "BB222BB" });
        var cancelledBefore = await Book(sailing.Id, 1, 0);
        var movedAfterCheckIn = await Book(sailing.Id, 3, 0, car with { Plate = "CC333CC" });
        var noShow = await Book(sailing.Id, 1, 1);
        var noShowCheckedIn = await Book(sailing.Id, 2, 0);
        foreach (var b in new[] { travels, cancelledAfterCheckIn, movedAfterCheckIn, noShowCheckedIn })
            await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(b.BookingReference, null, "B1", null), 200, action: "check-ins");

        foreach (var (b, reason) in new[] { (cancelledAfterCheckIn, CancellationReason.Illness), (cancelledBefore, CancellationReason.ChangeOfPlans) })
            await Host.Scenario(s => { s.WithBearerToken(Operator); s.Post.Json(new CancelCrossing(reason, null)).ToUrl($"/api/crossings/{b.CrossingId}/cancel"); });
        await Host.Scenario(s => { s.WithBearerToken(Operator); s.Post.Json(new RebookCrossing(other.Id, RebookingReason.TravellerRequest, null)).ToUrl($"/api/crossings/{movedAfterCheckIn.CrossingId}/rebook"); });
        await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(travels.BookingReference, null, null, null), 200, action: "boardings");

        App.Clock.SetUtcNow(now.AddHours(2).AddMinutes(5));
        foreach (var b in new[] { noShow, noShowCheckedIn })
            await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(b.BookingReference, null, null, null), 200, action: "no-shows");
        App.Clock.SetUtcNow(now.AddHours(26));
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(travels.BookingReference, null, "Lane 1", null), 200);

        await ProjectionsCaughtUpAsync();
        await using var session = App.Store.QuerySession();
        var all = new[] { travels, cancelledAfterCheckIn, cancelledBefore, movedAfterCheckIn, noShow, noShowCheckedIn };
        var crossings = new List<Crossing>();
        foreach (var b in all) crossings.Add((await session.Events.AggregateStreamAsync<Crossing>(b.CrossingId))!);

        foreach (var id in new[] { sailing.Id, other.Id })
        {
            var load = (await session.LoadAsync<SailingLoad>(id))!;
            var on = crossings.Where(c => c.SailingId == id && c.Status is not (CrossingStatus.Cancelled or CrossingStatus.NoShow)).ToList();
            load.BookedPassengers.ShouldBe(on.Sum(c => c.Passengers), $"booked on {id}");
            load.BookedVehicles.ShouldBe(on.Count(c => c.Vehicle is not null));
            load.CheckedInPassengers.ShouldBe(on.Where(c => c.CheckedInAt is not null).Sum(c => c.Passengers), $"checked in on {id}");
            load.CheckedInVehicles.ShouldBe(on.Count(c => c.CheckedInAt is not null && c.Vehicle is not null));
            load.EmbarkedPassengers.ShouldBe(on.Where(c => c.EmbarkedAt is not null).Sum(c => c.Passengers));
            load.ArrivedPassengers.ShouldBe(on.Where(c => c.ArrivedAt is not null).Sum(c => c.Passengers));
            load.NoShowPassengers.ShouldBe(crossings.Where(c => c.SailingId == id && c.Status == CrossingStatus.NoShow).Sum(c => c.Passengers));
        }
        (await session.LoadAsync<SailingLoad>(sailing.Id))!.BookedPassengers.ShouldBe(3, "only the family that travelled is still booked");
    }
}
