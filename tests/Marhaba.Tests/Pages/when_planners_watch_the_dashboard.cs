using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>The planners' dashboard in a real browser: a saturated day with its reason, figures that move by themselves.</summary>
public class when_planners_watch_the_dashboard(AppFixture app) : Scenario(app)
{
    private const string Arrived = "[...document.querySelectorAll('rect[data-series=Arrived]')].slice(0, 14).reduce((n, r) => n + Number(r.dataset.value), 0)";

    [Fact]
    public async Task a_planner_marks_a_day_saturated_by_cutting_its_capacity_and_sees_arrivals_recorded_elsewhere_without_a_reload()
    {
        var browser = await App.BrowserAsync();
        var (ship, parties, _) = await browser.ShipOnItsWayAsync(2);
        var planner = await browser.AccountAsync(Roles.Planner);
        var page = await browser.SignedInAsync("/dashboard", planner);
        await page.Locator("main[data-interactive=true]").WaitForAsync();
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("Tanger Med");

        // The ship's day at Tanger Med: its lanes cut to a trickle for the day, from the dashboard's own form.
        var day = ReferenceData.Port("MAPTM").LocalDay(ship.ArrivalAt).ToString("yyyy-MM-dd");
        var row = page.Locator($"tr[data-day='{day}']");
        (await row.InnerTextAsync()).ShouldNotContain("Saturated");
        await page.SelectOptionAsync("#adjust-day", day);
        await page.FillAsync("#adjust-passengers", "2");
        await page.FillAsync("#adjust-vehicles", "1");
        await page.FillAsync("#adjust-reason", "border police drill, two booths open");
        await page.ClickAsync("button:has-text('Set the capacity')");
        (await page.GetByTestId("adjust-outcome").InnerTextAsync()).ShouldStartWith("Set:");
        await row.Filter(new() { HasText = "Saturated:" }).WaitForAsync();
        (await row.InnerTextAsync()).ShouldContain("border posts clear");
        (await page.Locator($"g[data-label='{DateOnly.Parse(day):dd MMM}'][data-flagged=true]").CountAsync()).ShouldBeGreaterThan(0);
        await Browser.ScreenshotAsync(page, "dashboard-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // Nobody touches the page: an arrival recorded at the quay shows in the chart and the table.
        var before = await page.EvaluateAsync<double>($"() => {Arrived}");
        await browser.PostAsync<CrossingAtPortResult>("/api/ports/MAPTM/arrivals", new CrossingAtPort(parties[0].BookingReference, null, "Lane 2", null), Roles.PortStaff, "MAPTM");
        await page.WaitForFunctionAsync($"(atLeast) => {Arrived} >= atLeast", before + 3, new() { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "dashboard-after-an-arrival");
    }

    [Fact]
    public async Task port_staff_and_agents_are_sent_to_sign_in_and_bad_capacity_is_refused_in_words()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        await page.GotoAsync("/dashboard");
        page.Url.ShouldContain("/signin");
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("may not open that page");

        var planner = await browser.AccountAsync(Roles.Planner);
        var dashboard = await browser.SignedInAsync("/dashboard", planner);
        await dashboard.Locator("main[data-interactive=true]").WaitForAsync();
        await dashboard.FillAsync("#adjust-passengers", "900");
        await dashboard.FillAsync("#adjust-vehicles", "300");
        await dashboard.FillAsync("#adjust-reason", "");
        await dashboard.ClickAsync("button:has-text('Set the capacity')");
        (await dashboard.GetByTestId("adjust-outcome").InnerTextAsync()).ShouldContain("reason is required");
    }
}
