using Alba;
using JasperFx.Events.Daemon;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Planning;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten.Events;

namespace Marhaba.Tests.Planning;

/// <summary>
/// Al Hoceima on a day with one big ferry from Motril. Figures by hand:
/// 35 parties of 20 = 700 passengers reserved, 35 cars. Without history the default model applies
/// (no-shows 3%; late bookings +2% one day ahead, none on the day).
/// </summary>
public class when_planners_look_at_the_days_ahead(AppFixture app) : Scenario(app)
{
    private static readonly TimeZoneInfo Morocco = ReferenceData.Port("MAAHU").Zone;

    private DateTimeOffset Local(DateOnly day, int hour, int minute = 0)
    {
        var local = day.ToDateTime(new TimeOnly(hour, minute));
        return new DateTimeOffset(local, Morocco.GetUtcOffset(local));
    }

    /// <summary>The clock at 06:00 UTC three days ahead; the ferry berths at 10:20 local two days after that.</summary>
    private async Task<(SailingSummary Sailing, DateOnly Day, List<CrossingBookedResponse> Bookings)> BigFerryToAlHoceima()
    {
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(3).AddHours(6), TimeSpan.Zero);
        App.Clock.SetUtcNow(start);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, Morocco).DateTime).AddDays(2);
        var arrival = Local(day, 10, 20);
        var departure = arrival.AddHours(-5);

        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new ScheduleSailing("ESMOT-MAAHU", Direction.Inbound, "Naviera Armas", "Volcán de Tamasite", departure, arrival, 1200, 1500)).ToUrl("/api/sailings");
            s.StatusCodeShouldBe(201);
        });
        var sailing = (await result.ReadAsJsonAsync<SailingSummary>())!;
        var bookings = new List<CrossingBookedResponse>();
        for (var i = 0; i < 35; i++) bookings.Add(await Book(sailing.Id, 20, 0, new VehicleDetails(VehicleKind.Car, $"AH{i:000}X", "E"), company: "Naviera Armas"));

        await SetCapacity(day, 300, 60);
        return (sailing, day, bookings);
    }

    private Task SetCapacity(DateOnly day, int passengers, int vehicles, int? from = null, int? to = null) =>
        Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new SetPortDayCapacity(passengers, vehicles, from, to, "lanes for the ferry")).ToUrl($"/api/ports/MAAHU/days/{day:yyyy-MM-dd}/capacity");
            s.StatusCodeShouldBeOk();
        });

    private async Task<PortDaysOutlook> Days(DateOnly from, int days = 1)
    {
        await ProjectionsCaughtUpAsync();
        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/planning/ports/MAAHU/days?from={from:yyyy-MM-dd}&days={days}");
        });
        return (await result.ReadAsJsonAsync<PortDaysOutlook>())!;
    }

    [Fact]
    public async Task the_day_shows_capacity_reservations_forecast_and_where_the_lanes_saturate()
    {
        var (sailing, day, _) = await BigFerryToAlHoceima();
        var outlook = await Days(day);
        var d = outlook.Days.Single();

        outlook.Model.Source.ShouldStartWith("default");
        d.SailingsArriving.ShouldBe(1);
        d.CapacityPassengers.ShouldBe(1200);
        d.ReservedPassengers.ShouldBe(700);
        d.ReservedVehicles.ShouldBe(35);
        // Departure at 04:20 local on the day, 1 day 22 h after the clock: 1 day ahead → ×1.02, ×0.97.
        d.ForecastPassengers.ShouldBe(693);   // 700 × 1.02 × 0.97 = 692.58
        d.ForecastVehicles.ShouldBe(35);      // 35 × 1.02 × 0.97 = 34.63
        d.ProcessingPassengers.ShouldBe(300 * 24);
        d.ProcessingVehicles.ShouldBe(60 * 24);
        d.UtilisationPassengers.ShouldBe(Math.Round(693 / 7200.0, 3));
        // 346.5 passengers reach the lanes at 10:00 and again at 11:00, against 300 an hour:
        // a queue of 46.5 after 10:00, 93 after 11:00 (18.6 minutes of work), gone by 12:00.
        d.Saturated.ShouldBeTrue();
        d.SaturatedHours.ShouldBe(2);
        d.MaxExpectedWaitMinutes.ShouldBe(19);
        d.Sailings.Single().ForecastBasis.ShouldContain("1.02");

        var hours = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/planning/ports/MAAHU/hours?from={Uri.EscapeDataString(Local(day, 9).ToString("O"))}&hours=4");
        });
        var h = (await hours.ReadAsJsonAsync<PortHoursOutlook>())!.Hours;
        h.Select(x => x.LocalHour).ShouldBe([9, 10, 11, 12]);
        h[0].Saturated.ShouldBeFalse();
        h[1].SailingsArriving.ShouldBe(1);
        h[1].Saturated.ShouldBeTrue();
        h[2].BacklogPassengers.ShouldBe(93);
        h[2].ExpectedWaitMinutes.ShouldBe(19);
        h[3].BacklogPassengers.ShouldBe(0);
        h[3].Saturated.ShouldBeFalse();

        var load = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/planning/sailings/{sailing.Id}");
        });
        (await load.ReadAsJsonAsync<SailingOutlook>())!.ForecastPassengers.ShouldBe(693);
    }

    [Fact]
    public async Task more_lanes_at_the_peak_hours_remove_the_saturation_and_the_change_is_in_the_history()
    {
        var (_, day, _) = await BigFerryToAlHoceima();
        await SetCapacity(day, 400, 80, from: 10, to: 12);

        var d = (await Days(day)).Days.Single();
        d.Saturated.ShouldBeFalse();
        d.MaxExpectedWaitMinutes.ShouldBe(0);
        d.ProcessingPassengers.ShouldBe(300 * 22 + 400 * 2);

        var capacity = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/ports/MAAHU/days/{day:yyyy-MM-dd}/capacity");
        });
        var view = (await capacity.ReadAsJsonAsync<PortDayView>())!;
        view.History.Count.ShouldBe(2);
        view.History[1].FromHour.ShouldBe(10);
        view.History[1].SetBy.ShouldStartWith("test-planner");
        view.PassengersPerHour[10].ShouldBe(400);
        view.PassengersPerHour[9].ShouldBe(300);
    }

    [Fact]
    public async Task a_day_planned_under_its_former_id_is_moved_to_its_named_id_and_keeps_its_history_and_its_changes()
    {
        var day = new DateOnly(2027, 8, 3);
        var former = PortDay.FormerStreamId("MANDR", day);
        var planned = new PortDayCapacitySet("MANDR", day, 0, 24, 250, 60, "the former plan", "planner-1", DateTimeOffset.UtcNow);
        var peak = planned with { FromHour = 9, ToHour = 11, PassengersPerHour = 420, Reason = "a peak" };
        await using (var session = App.Store.LightweightSession())
        {
            session.Events.StartStream<PortDay>(former, planned, peak);
            await session.SaveChangesAsync();
        }

        // A start of the server (and a second node starting at the same moment) moves it once.
        var moves = await Task.WhenAll(PortDayIds.MoveAsync(App.Store, CancellationToken.None), PortDayIds.MoveAsync(App.Store, CancellationToken.None));
        moves.Sum().ShouldBe(1);

        await using (var query = App.Store.QuerySession())
        {
            (await query.Events.FetchStreamStateAsync(former)).ShouldBeNull();
            (await query.LoadAsync<PortDay>(former)).ShouldBeNull();
            (await query.Events.FetchStreamAsync(PortDay.StreamId("MANDR", day))).Count.ShouldBe(2);
        }
        var capacity = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/ports/MANDR/days/{day:yyyy-MM-dd}/capacity");
        });
        var view = (await capacity.ReadAsJsonAsync<PortDayView>())!;
        view.Planned.ShouldBeTrue();
        view.History.Select(h => h.Reason).ShouldBe(["the former plan", "a peak"]);
        view.PassengersPerHour[10].ShouldBe(420);
        view.PassengersPerHour[12].ShouldBe(250);

        // The moved day takes its next change like any other.
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new SetPortDayCapacity(300, 70, null, null, "the new plan")).ToUrl($"/api/ports/MANDR/days/{day:yyyy-MM-dd}/capacity");
        });
        await using (var query = App.Store.QuerySession())
            (await query.LoadAsync<PortDay>(PortDay.StreamId("MANDR", day)))!.Changes.ShouldBe(3);
    }

    [Fact]
    public async Task a_delay_moves_the_load_to_the_hours_of_the_new_arrival()
    {
        var (sailing, day, _) = await BigFerryToAlHoceima();
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new DelaySailing(null, Local(day, 15, 40), "engine trouble")).ToUrl($"/api/sailings/{sailing.Id}/delay");
            s.StatusCodeShouldBeOk();
        });

        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Get.Url($"/api/planning/ports/MAAHU/hours?from={Uri.EscapeDataString(Local(day, 10).ToString("O"))}&hours=8");
        });
        var hours = (await result.ReadAsJsonAsync<PortHoursOutlook>())!.Hours;
        hours.Single(h => h.SailingsArriving == 1).LocalHour.ShouldBe(15);
        hours.Where(h => h.LocalHour is 10 or 11).ShouldAllBe(h => h.ForecastPassengers == 0);
    }

    [Fact]
    public async Task after_the_day_the_forecast_made_before_it_stands_beside_what_arrived()
    {
        var (_, day, bookings) = await BigFerryToAlHoceima();

        // The evening before, ten hours before departure: on the day itself → ×1.00, ×0.97 → 679.
        App.Clock.SetUtcNow(Local(day, 4, 20).AddHours(-10));
        await ProjectionsCaughtUpAsync();
        var recorded = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new RecordForecasts("MAAHU")).ToUrl("/api/planning/forecasts");
        });
        var record = (await recorded.ReadAsJsonAsync<RecordedForecasts>())!.Records.Single();
        record.Day.ShouldBe(day);
        record.ForecastPassengers.ShouldBe(679);

        // 30 of the 35 parties arrive; the next morning the planner looks back.
        App.Clock.SetUtcNow(Local(day, 12, 0));
        foreach (var b in bookings.Take(30))
            await Record("MAAHU", PortStaff("MAAHU"), new CrossingAtPort(b.BookingReference, null, "1", Local(day, 10, 40)), 200);
        App.Clock.SetUtcNow(Local(day.AddDays(1), 8, 0));

        var d = (await Days(day)).Days.Single();
        d.ForecastBeforeTheDay.ShouldNotBeNull();
        d.ForecastBeforeTheDay.ForecastPassengers.ShouldBe(679);
        d.ForecastBeforeTheDay.ActualPassengers.ShouldBe(600);
        d.ForecastBeforeTheDay.ActualVehicles.ShouldBe(30);
        d.ArrivedPassengers.ShouldBe(600);
    }

    [Fact]
    public async Task the_season_so_far_counts_arrivals_per_port_and_route()
    {
        var (_, day, bookings) = await BigFerryToAlHoceima();
        App.Clock.SetUtcNow(Local(day, 12, 0));
        foreach (var b in bookings.Take(3))
            await Record("MAAHU", PortStaff("MAAHU"), new CrossingAtPort(b.BookingReference, null, null, Local(day, 10, 40)), 200);
        await ProjectionsCaughtUpAsync();

        var result = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url("/api/planning/season"); });
        var season = (await result.ReadAsJsonAsync<SeasonToDate>())!;
        var port = season.Ports.Single(p => p.Key == "MAAHU");
        port.ToDate.ShouldBe(new Totals(60, 3, 3));
        season.Routes.Single(r => r.Key == "ESMOT-MAAHU Inbound").ToDate.Passengers.ShouldBe(60);
    }

    [Theory]
    [InlineData(Roles.PortStaff)]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Agent)]
    public async Task only_planners_see_the_outlook(string role)
    {
        foreach (var url in new[] { "/api/planning/ports", "/api/planning/ports/MAPTM/days", "/api/planning/ports/MAPTM/hours", "/api/planning/season" })
            await Host.Scenario(s => { s.WithBearerToken(Token(role, "MAPTM")); s.Get.Url(url); s.StatusCodeShouldBe(403); });
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Token(role, "MAPTM"));
            s.Post.Json(new SetPortDayCapacity(1, 1, null, null, "x")).ToUrl("/api/ports/MAPTM/days/2027-07-28/capacity");
            s.StatusCodeShouldBe(403);
        });
    }

    [Fact]
    public async Task the_overview_lists_the_four_moroccan_ports_for_fourteen_days()
    {
        var result = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url("/api/planning/ports"); });
        var overview = (await result.ReadAsJsonAsync<List<PortOverview>>())!;
        overview.Select(p => p.Port).ShouldBe(["MAPTM", "MATNG", "MANDR", "MAAHU"]);
        overview.ShouldAllBe(p => p.Days.Count == 14);
    }
}
