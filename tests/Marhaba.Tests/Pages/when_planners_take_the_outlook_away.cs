using System.Globalization;
using Marhaba.Hosting;
using Marhaba.Planning;
using Marhaba.Ports;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>
/// Planners take the coming days away as a spreadsheet (the same figures as the outlook the API gives) and print a
/// port's day for the morning meeting; only planners and administrators get either.
/// </summary>
public class when_planners_take_the_outlook_away(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task a_planner_downloads_the_next_fortnight_as_csv_with_the_figures_the_outlook_gives()
    {
        var browser = await App.BrowserAsync();
        var (ship, _, _) = await browser.ShipOnItsWayAsync(2);
        var shipDay = ReferenceData.Port("MAPTM").LocalDay(ship.ArrivalAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var planner = await browser.AccountAsync(Roles.Planner);
        var page = await browser.SignedInAsync("/dashboard", planner);

        // The outlook as the API gives it, once the two parties (six people) count on the ship's day.
        PortDaysOutlook outlook;
        do outlook = await browser.GetAsync<PortDaysOutlook>("/api/planning/ports/MAPTM/days", Roles.Planner);
        while (outlook.Days.Single(d => d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) == shipDay).ReservedPassengers < 6);

        // The page's own link, fetched with the page's cookie (as the browser's download would be).
        var link = page.GetByTestId("export-csv");
        (await link.GetAttributeAsync("download")).ShouldStartWith("marhaba-MAPTM-");
        var answer = await page.APIRequest.GetAsync((await link.GetAttributeAsync("href"))!);
        answer.Status.ShouldBe(200);
        answer.Headers["content-type"].ShouldBe("text/csv; charset=utf-8");
        answer.Headers["content-disposition"].ShouldContain("attachment; filename=marhaba-MAPTM-");
        var lines = (await answer.TextAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).ToList();
        lines[0].ShouldBe("Port,Day,Sailings,Seats,ReservedPassengers,ReservedVehicles,ForecastPassengers,ForecastVehicles,CanClearPassengers," +
                          "CanClearVehicles,ArrivedPassengers,ArrivedVehicles,UtilisationPassengers,UtilisationVehicles,PeakHourUtilisation,Saturated,SaturatedHours,LongestWaitMinutes");
        lines.Count.ShouldBe(1 + PlanningDashboard.Days);
        foreach (var day in outlook.Days)
        {
            var cells = lines.Single(l => l.StartsWith($"MAPTM,{day.Day:yyyy-MM-dd},")).Split(',');
            int.Parse(cells[2]).ShouldBe(day.SailingsArriving);
            int.Parse(cells[3]).ShouldBe(day.CapacityPassengers);
            int.Parse(cells[4]).ShouldBe(day.ReservedPassengers);
            int.Parse(cells[6]).ShouldBe(day.ForecastPassengers);
            int.Parse(cells[8]).ShouldBe(day.ProcessingPassengers);
            bool.Parse(cells[15]).ShouldBe(day.Saturated);
        }
        lines.Single(l => l.Contains($",{shipDay},")).Split(',')[4].ShouldBe(outlook.Days.Single(d => d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) == shipDay).ReservedPassengers.ToString(CultureInfo.InvariantCulture));

        // Asked for a port that is not a Moroccan arrival port, or too many days: refused in words.
        var wrongPort = await page.APIRequest.GetAsync("/dashboard/csv?port=ITGOA");
        wrongPort.Status.ShouldBe(400);
        (await wrongPort.TextAsync()).ShouldContain("port must be a Moroccan arrival port");
        (await page.APIRequest.GetAsync("/dashboard/csv?port=MAPTM&days=400")).Status.ShouldBe(400);
    }

    [Fact]
    public async Task port_staff_and_strangers_get_no_spreadsheet_and_no_report()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        foreach (var path in new[] { "/dashboard/csv?port=MAPTM", "/dashboard/report?port=MAPTM" })
        {
            var answer = await page.APIRequest.GetAsync(path, new() { MaxRedirects = 0 });
            answer.Status.ShouldBe(302, path);
            answer.Headers["location"].ShouldContain("/signin");
        }
        using var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = browser.Address };
        using var anonymous = await stranger.GetAsync("/dashboard/csv?port=MAPTM");
        ((int)anonymous.StatusCode).ShouldBe(302);
        anonymous.Headers.Location!.ToString().ShouldContain("/signin");
    }

    [Fact]
    public async Task a_planner_prints_the_day_of_the_ships_arrival_with_its_ship_and_its_hours()
    {
        var browser = await App.BrowserAsync();
        var (ship, _, _) = await browser.ShipOnItsWayAsync(1);
        var day = ReferenceData.Port("MAPTM").LocalDay(ship.ArrivalAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var planner = await browser.AccountAsync(Roles.Planner);
        var page = await browser.SignedInAsync($"/dashboard/report?port=MAPTM&day={day}", planner);

        await page.GetByTestId("report-sailing").Filter(new() { HasText = ship.Vessel }).WaitForAsync();
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("Tanger Med");
        (await page.Locator("[data-testid=report-hours] tbody tr").CountAsync()).ShouldBeInRange(23, 25); // 23 or 25 on a clock change
        var arrives = ReferenceData.Port("MAPTM").Local(ship.ArrivalAt).ToString("HH:mm", CultureInfo.InvariantCulture);
        (await page.GetByTestId("report-sailing").Filter(new() { HasText = ship.Vessel }).InnerTextAsync()).ShouldContain(arrives);
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // On paper: the buttons and the language switch stay off the page.
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        (await page.Locator("header .tools").First.IsVisibleAsync()).ShouldBeFalse();
        (await page.GetByTestId("report-day").IsVisibleAsync()).ShouldBeTrue();
        await page.PdfAsync(new() { Path = Path.Combine(Browser.Screenshots, "daily-report.pdf") });

        // A day that is not a date is refused in words, nothing else is read.
        await page.EmulateMediaAsync(new() { Media = Media.Screen });
        await page.GotoAsync("/dashboard/report?port=MAPTM&day=tomorrow");
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("yyyy-MM-dd");
    }
}
