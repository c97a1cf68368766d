using Alba;
using Marhaba.Crossings;
using Marhaba.Sailings;
using Marten;
using Marten.Events;
using JasperFx.Events.Daemon;

namespace Marhaba.Tests.Crossings;

public class when_planners_read_the_daily_arrivals(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task arrivals_are_counted_per_port_day_and_local_hour()
    {
        var sailing = await ScheduleSailing(passengers: 1000);
        var family = await Book(sailing.Id, 2, 3, new VehicleDetails(VehicleKind.Camper, "NL-44-XZ", "NL"));
        var couple = await Book(sailing.Id, 2, 0, null);
        var single = await Book(sailing.Id, 1, 0, new VehicleDetails(VehicleKind.Motorbike, "MB-7", "I"));

        // 09:10 and 09:40 UTC are 10:10 and 10:40 in Tanger (UTC+1); 10:05 UTC is 11:05.
        var day = App.Clock.GetUtcNow().UtcDateTime.Date.AddDays(1);
        App.Clock.SetUtcNow(new DateTimeOffset(day.AddHours(12), TimeSpan.Zero));
        var at = (int h, int m) => new DateTimeOffset(day.AddHours(h).AddMinutes(m), TimeSpan.Zero);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(family.BookingReference, null, "1", at(9, 10)), 200);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(couple.BookingReference, null, "2", at(9, 40)), 200);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(single.BookingReference, null, "2", at(10, 5)), 200);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(family.BookingReference, null, null, at(10, 30)), 200, action: "clearances");

        await ProjectionsCaughtUpAsync();

        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/ports/MAPTM/arrivals/{day:yyyy-MM-dd}");
        });
        var view = (await result.ReadAsJsonAsync<PortArrivals>())!;
        view.Crossings.ShouldBe(3);
        view.Passengers.ShouldBe(8);
        view.Vehicles.ShouldBe(2);
        view.Cleared.ShouldBe(1);
        view.CrossingsByHour[10].ShouldBe(2);
        view.PassengersByHour[10].ShouldBe(7);
        view.CrossingsByHour[11].ShouldBe(1);
        view.VehiclesByHour[11].ShouldBe(1);
        view.ClearedByHour[11].ShouldBe(1);
        view.CrossingsByHour.Sum().ShouldBe(3);
    }
}
