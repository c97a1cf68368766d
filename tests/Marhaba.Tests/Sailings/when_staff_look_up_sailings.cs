using Alba;
using Marhaba.Ports;
using Marhaba.Sailings;

namespace Marhaba.Tests.Sailings;

public class when_staff_look_up_sailings(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task the_sailings_of_a_route_and_one_sailing_show_their_room_and_status()
    {
        var now = App.Clock.GetUtcNow();
        var genova = await ScheduleSailing(departure: now.AddHours(5), passengers: 1200);
        var algeciras = await ScheduleSailing("ESALG-MAPTM", departure: now.AddHours(7), passengers: 900);
        await Book(genova.Id, 2, 2);

        var listed = await Host.Scenario(s => { s.WithBearerToken(PortStaff("MAPTM")); s.Get.Url($"/api/sailings?route=ITGOA-MAPTM&after={now.AddHours(-1):O}".Replace("+", "%2B")); });
        var list = (await listed.ReadAsJsonAsync<List<SailingSummary>>())!;
        list.Select(s => s.Id).ShouldBe([genova.Id]);
        list[0].ReservedPassengers.ShouldBe(4);

        var all = (await (await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url("/api/sailings"); })).ReadAsJsonAsync<List<SailingSummary>>())!;
        all.Select(s => s.Id).ShouldBe([genova.Id, algeciras.Id], "in order of departure");

        var one = (await (await Host.Scenario(s => { s.WithBearerToken(Operator); s.Get.Url($"/api/sailings/{algeciras.Id}"); })).ReadAsJsonAsync<SailingSummary>())!;
        one.RouteCode.ShouldBe("ESALG-MAPTM");
        one.Direction.ShouldBe(Direction.Inbound);
        one.PassengerCapacity.ShouldBe(900);
        one.Status.ShouldBe(SailingStatus.Scheduled);
    }
}
