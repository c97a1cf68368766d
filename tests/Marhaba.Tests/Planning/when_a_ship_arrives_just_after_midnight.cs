using Alba;
using JasperFx.Events.Daemon;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Planning;
using Marhaba.PortAuthorities;
using Marhaba.Ports;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Planning;

/// <summary>One definition of a day everywhere: the port's local day.</summary>
public class when_a_ship_arrives_just_after_midnight(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task an_arrival_at_half_past_midnight_in_tanger_med_lands_on_the_same_day_in_every_view()
    {
        var tanger = ReferenceData.Port("MAPTM");
        var sailing = await ScheduleSailing();
        var family = await Book(sailing.Id, 2, 2);
        var day = tanger.LocalDay(App.Clock.GetUtcNow()).AddDays(2);
        DateTimeOffset Local(int hour, int minute)
        {
            var local = day.ToDateTime(new TimeOnly(hour, minute));
            return new DateTimeOffset(local, tanger.Zone.GetUtcOffset(local));
        }

        // 00:30 in Tanger is 23:30 UTC the day before; the agent acknowledges a request then too.
        var request = await Host.Scenario(s =>
        {
            s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "MAPTM", "Where is the exit?", Language.fr, null, null)).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        });
        var opened = (await request.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;
        App.Clock.SetUtcNow(Local(0, 30));
        await Host.Scenario(s => { s.WithBearerToken(Token(Marhaba.Hosting.Roles.Agent, "MAPTM")); s.Post.Json(new { }).ToUrl($"/api/assistance/{opened.RequestId}/acknowledge"); });
        App.Clock.SetUtcNow(Local(1, 30)); // 00:30 UTC: a new UTC day, the same day in Tanger
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(family.BookingReference, null, "Lane 1", Local(0, 30)), 200);
        await ProjectionsCaughtUpAsync();

        // The day's arrivals...
        async Task<PortArrivals> Arrivals(DateOnly d) => (await (await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/ports/MAPTM/arrivals/{d:yyyy-MM-dd}"); })).ReadAsJsonAsync<PortArrivals>())!;
        (await Arrivals(day)).Passengers.ShouldBe(4);
        (await Arrivals(day.AddDays(-1))).Passengers.ShouldBe(0);
        (await Arrivals(day)).PassengersByHour[0].ShouldBe(4);

        // ...the season's totals, per port and year...
        await using var session = App.Store.QuerySession();
        var season = (await session.LoadAsync<SeasonTotals>(SeasonTotals.Key("MAPTM", day.Year)))!;
        season.Arrivals.Passengers[day.DayOfYear - 1].ShouldBe(4);
        season.Arrivals.Passengers[day.DayOfYear - 2].ShouldBe(0);
        season.Routes["ITGOA-MAPTM Inbound"].Crossings[day.DayOfYear - 1].ShouldBe(1);

        // ...the figures for the joint migration group...
        var authority = Host.Services.GetRequiredService<PortAuthorityOptions>();
        var figures = await OutboundMessagesHandler.DailyFiguresOf(session, authority, day, App.Clock.GetUtcNow(), CancellationToken.None);
        figures.Ports.Single(p => p.Port == "MAPTM").Persons.ShouldBe(4);
        (await OutboundMessagesHandler.DailyFiguresOf(session, authority, day.AddDays(-1), App.Clock.GetUtcNow(), CancellationToken.None)).Ports.ShouldBeEmpty();

        // ...and the assistance board's "today".
        var board = (await (await Host.Scenario(s => { s.WithBearerToken(Token(Marhaba.Hosting.Roles.Agent, "MAPTM")); s.Get.Url("/api/assistance/board"); }))
            .ReadAsJsonAsync<AssistanceBoardView>())!;
        board.Times.Single(t => t.Place == "MAPTM").AcknowledgeToday.Count.ShouldBe(1);
    }
}
