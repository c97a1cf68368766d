using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>The quay desk in a real browser: find by plate, one tap per crossing, a whole ship at once, a dead network.</summary>
public class when_port_staff_work_the_quay_desk(AppFixture app) : Scenario(app)
{
    private static async Task OpenShipAsync(IPage page, SailingSummary ship)
    {
        await page.ClickAsync($"button.sailing:has-text('{ship.Vessel}')");
        await page.GetByTestId("sailing-crossing").First.WaitForAsync();
    }

    private static Task<CrossingStatus> StatusAsync(Browser browser, CrossingBookedResponse crossing) =>
        browser.GetAsync<CrossingView>($"/api/crossings/{crossing.CrossingId}", Roles.PortStaff, "MAPTM").ContinueWith(v => v.Result.Status);

    /// <summary>The day at Tanger Med as the desk writes it in English (en-GB) when it is not today (the ship from Genova arrives two days later).</summary>
    private static string ArrivalDay(SailingSummary s) =>
        TimeZoneInfo.ConvertTime(s.ArrivalAt, ReferenceData.Port("MAPTM").Zone).ToString("ddd d MMM", System.Globalization.CultureInfo.GetCultureInfo("en-GB"));

    [Fact]
    public async Task an_officer_records_an_arrival_by_plate_then_the_rest_of_the_ship_at_once()
    {
        var browser = await App.BrowserAsync();
        var (ship, parties, plate) = await browser.ShipOnItsWayAsync(4);
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");

        // A tablet set to New York's time: the desk still speaks Tanger Med's, on a 24-hour clock.
        var page = await browser.SignedInAsync("/desk", officer, timezoneId: "America/New_York");
        var sailing = await browser.GetAsync<SailingSummary>($"/api/sailings/{ship.Id}", Roles.Planner);
        var arrives = TimeZoneInfo.ConvertTime(sailing.ArrivalAt, ReferenceData.Port("MAPTM").Zone).ToString("HH:mm");
        await page.Locator("button.sailing").Filter(new() { HasText = ship.Vessel }).WaitForAsync();
        var shown = await page.Locator("button.sailing").Filter(new() { HasText = ship.Vessel }).InnerTextAsync();
        shown.ShouldStartWith("Arrives ");
        shown.ShouldContain($"Arrives {ArrivalDay(sailing)} {arrives} ·", Case.Sensitive); // with its day: not today
        await page.FillAsync("#lane", "Lane 7");
        await page.FillAsync("#q", plate.ToLowerInvariant()[..2] + "-" + plate[2..]);
        await page.ClickAsync($"button.big:has-text('Record arrival: {parties[0].BookingReference}')");
        await page.Locator("li[data-state=done]").Filter(new() { HasText = "is now arrived" }).WaitForAsync();
        (await StatusAsync(browser, parties[0])).ShouldBe(CrossingStatus.Arrived);
        (await browser.GetAsync<CrossingView>($"/api/crossings/{parties[0].CrossingId}", Roles.PortStaff, "MAPTM")).ArrivalLane.ShouldBe("Lane 7");

        await OpenShipAsync(page, ship);
        (await page.GetByTestId("sailing-counts").InnerTextAsync()).ShouldContain("1 arrived");
        await Browser.ScreenshotAsync(page, "desk-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        await page.ClickAsync("#arrive-all:has-text('(3)')");
        await page.Locator("li[data-state=done]").Filter(new() { HasText = "3 recorded, 0 refused" }).WaitForAsync();
        await page.GetByTestId("sailing-counts").Filter(new() { HasText = "4 arrived" }).WaitForAsync();
        foreach (var party in parties) (await StatusAsync(browser, party)).ShouldBe(CrossingStatus.Arrived);
        (await page.Locator("li[data-state=refused]").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task a_delayed_ship_reads_was_and_now_on_the_desk_and_on_the_planners_dashboard()
    {
        var browser = await App.BrowserAsync();
        var ship = await browser.PostAsync<SailingSummary>("/api/sailings", new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", $"FRS Tarifa Jet {Random.Shared.Next(1000, 9999)}",
            DateTimeOffset.UtcNow.AddHours(5), null, 400, 500), Roles.Planner);
        var delayed = await browser.PostAsync<SailingSummary>($"/api/sailings/{ship.Id}/delay",
            new DelaySailing(ship.DepartureAt.AddMinutes(130), null, "Late arrival of the ship from its previous rotation"), Roles.Planner);
        string AtTangerMed(DateTimeOffset at) => ReferenceData.Port("MAPTM").Local(at).ToString("HH:mm");

        var page = await browser.SignedInAsync("/desk", await browser.AccountAsync(Roles.PortStaff, "MAPTM"), timezoneId: "Asia/Tokyo");
        var listed = page.Locator("button.sailing").Filter(new() { HasText = ship.Vessel });
        await listed.WaitForAsync();
        var shown = await listed.InnerTextAsync();
        // The day is written (several words: "Mon 7 Dec") only for a time not today: the delay may cross midnight.
        shown.ShouldMatch($"^Arrives was (\\S+ )*{AtTangerMed(ship.ArrivalAt)}, now (\\S+ )*{AtTangerMed(delayed.ArrivalAt)} · ");
        await listed.ClickAsync();
        await page.Locator("#sailing-title").Filter(new() { HasText = ship.Vessel }).WaitForAsync();
        (await page.Locator("#sailing-title").InnerTextAsync()).ShouldMatch($"arrives was (\\S+ )*{AtTangerMed(ship.ArrivalAt)}, now (\\S+ )*{AtTangerMed(delayed.ArrivalAt)}$");

        var dashboard = await browser.SignedInAsync("/dashboard", await browser.AccountAsync(Roles.Planner));
        var row = dashboard.GetByTestId("travellers-told").Locator("tr").Filter(new() { HasText = "ESALG-MAPTM" }).Filter(new() { HasText = "was " });
        await row.First.WaitForAsync();
        var departure = $"was (\\S+ )*{ReferenceData.Port("ESALG").Local(ship.DepartureAt):HH:mm}, now (\\S+ )*{ReferenceData.Port("ESALG").Local(delayed.DepartureAt):HH:mm}";
        // The dashboard re-reads its projections every few seconds: the row as the delay left it.
        await row.Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex(departure) }).First.WaitForAsync();
    }

    [Fact]
    public async Task a_booking_shown_as_a_qr_code_on_the_travellers_phone_is_scanned_at_the_desk_and_opens_that_crossing()
    {
        var browser = await App.BrowserAsync();
        var (_, family) = await browser.FamilyBookedAsync();

        // The traveller opens their page; the desk photographs the code on their screen.
        var phone = await browser.OpenAsync("/traveller", "fr-FR", phone: true);
        await phone.FillAsync("#reference", family.BookingReference);
        await phone.FillAsync("#code", family.AccessCode);
        await phone.ClickAsync("button.primary");
        var photo = await phone.GetByTestId("booking-qr").Locator("svg").ScreenshotAsync();

        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        await page.SetInputFilesAsync("#scan-photo", new FilePayload { Name = "code.png", MimeType = "image/png", Buffer = photo });
        await page.Locator("#scan-status").Filter(new() { HasText = $"Scanned {family.BookingReference}" }).WaitForAsync();
        await page.GetByTestId("match").Filter(new() { HasText = family.BookingReference }).WaitForAsync();
        (await page.InputValueAsync("#q")).ShouldBe(family.BookingReference);

        // A picture with no booking's code in it is said so; typing stays.
        await page.SetInputFilesAsync("#scan-photo", new FilePayload { Name = "blank.png", MimeType = "image/png", Buffer = await phone.Locator("h1").ScreenshotAsync() });
        await page.Locator("#scan-status").Filter(new() { HasText = "No booking code could be read" }).WaitForAsync();
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_desk_that_loses_the_network_keeps_three_arrivals_and_each_is_recorded_once_when_it_returns()
    {
        var browser = await App.BrowserAsync();
        var (ship, parties, _) = await browser.ShipOnItsWayAsync(3);
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer, phone: true);
        await OpenShipAsync(page, ship);

        await page.Context.SetOfflineAsync(true);
        foreach (var party in parties)
            await page.ClickAsync($"button:has-text('Record arrival: {party.BookingReference}')");
        await page.Locator("li[data-state=waiting]").Nth(2).WaitForAsync();
        (await page.Locator("#network").InnerTextAsync()).ShouldContain("No network · 3 step(s) kept on this device");
        await Browser.ScreenshotAsync(page, "desk-phone-offline");
        (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue("nothing runs off a phone's screen");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        foreach (var party in parties) (await StatusAsync(browser, party)).ShouldBe(CrossingStatus.Embarked);

        // The first answer after the network returns is lost on its way back: the server recorded it, the
        // desk did not hear. The same key sent again must give the same answer, not a refusal.
        var lostOnce = 0;
        await page.RouteAsync("**/api/ports/MAPTM/arrivals", async route =>
        {
            if (Interlocked.Increment(ref lostOnce) == 1)
            {
                await route.FetchAsync();
                await route.AbortAsync("connectionreset");
            }
            else await route.ContinueAsync();
        });
        await page.Context.SetOfflineAsync(false);
        await page.EvaluateAsync("window.dispatchEvent(new Event('online'))");
        await page.Locator("li[data-state=done]").Nth(2).WaitForAsync(new() { Timeout = 60_000 });

        (await page.Locator("li[data-state=refused]").CountAsync()).ShouldBe(0);
        (await page.Locator("li[data-state=waiting]").CountAsync()).ShouldBe(0);
        lostOnce.ShouldBeGreaterThan(3);
        foreach (var party in parties) (await StatusAsync(browser, party)).ShouldBe(CrossingStatus.Arrived);
        var counts = await browser.GetAsync<DeskSailing>($"/api/ports/MAPTM/desk/sailings/{ship.Id}", Roles.PortStaff, "MAPTM");
        counts.Arrived.ShouldBe(3);
        await Browser.ScreenshotAsync(page, "desk-phone-back-online");
    }

    [Fact]
    public async Task a_desk_reloaded_with_no_network_opens_from_the_tablet_and_its_three_arrivals_reach_the_server_once()
    {
        var browser = await App.BrowserAsync();
        var (ship, parties, plate) = await browser.ShipOnItsWayAsync(3);
        var page = await browser.SignedInAsync("/desk", await browser.AccountAsync(Roles.PortStaff, "MAPTM"), phone: true);

        // Installable: a manifest for the desk, and a service worker that holds the page and the ship's list once it controls the desk.
        (await page.EvaluateAsync<string>("async () => (await (await fetch(document.querySelector('link[rel=manifest]').href)).json()).start_url")).ShouldBe("/desk");
        var held = false;
        for (var attempt = 0; attempt < 120 && !held; attempt++)
        {
            await page.WaitForTimeoutAsync(250);
            held = await page.EvaluateAsync<bool>(@"async () => {
                const names = await caches.keys();
                if (!navigator.serviceWorker.controller || names.length === 0) return false;
                const paths = (await (await caches.open(names[0])).keys()).map((r) => new URL(r.url).pathname);
                return paths.includes('/desk') && paths.includes('/desk.js') && paths.some((p) => p.includes('/desk/sailings/" + ship.Id + @"'));
            }");
        }
        held.ShouldBeTrue("the desk's page, script and ship list are kept on the tablet");

        await page.Context.SetOfflineAsync(true);
        await page.ReloadAsync();
        (await page.Locator("#desk").GetAttributeAsync("data-from-cache")).ShouldBe("true");
        await page.Locator("#network").Filter(new() { HasText = "No network" }).WaitForAsync();
        // Found with no network among the crossings the tablet last read: by plate, then by the start of each reference.
        foreach (var typed in new[] { plate }.Concat(parties.Skip(1).Select(p => p.BookingReference[4..9])))
        {
            await page.FillAsync("#q", typed);
            await page.Locator("button.big").Filter(new() { HasText = "Record arrival" }).First.ClickAsync();
        }
        await page.Locator("li[data-state=waiting]").Nth(2).WaitForAsync();
        (await page.Locator("#network").InnerTextAsync()).ShouldContain("3 step(s) kept on this device");
        foreach (var party in parties) (await StatusAsync(browser, party)).ShouldBe(CrossingStatus.Embarked);

        await page.Context.SetOfflineAsync(false);
        await page.EvaluateAsync("window.dispatchEvent(new Event('online'))");
        await page.Locator("li[data-state=done]").Nth(2).WaitForAsync(new() { Timeout = 60_000 });
        (await page.Locator("li[data-state=refused]").CountAsync()).ShouldBe(0);
        foreach (var party in parties) (await StatusAsync(browser, party)).ShouldBe(CrossingStatus.Arrived);
        (await browser.GetAsync<DeskSailing>($"/api/ports/MAPTM/desk/sailings/{ship.Id}", Roles.PortStaff, "MAPTM")).Arrived.ShouldBe(3);
    }

    [Fact]
    public async Task an_officer_at_nador_neither_sees_nor_acts_on_tanger_meds_desk()
    {
        var browser = await App.BrowserAsync();
        var (_, parties, _) = await browser.ShipOnItsWayAsync(1);
        var nador = await browser.AccountAsync(Roles.PortStaff, "MANDR");
        var page = await browser.SignedInAsync("/desk", nador);
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("Nador");

        await page.GotoAsync("/desk?port=MAPTM");
        (await page.GetByTestId("desk-refused").InnerTextAsync()).ShouldContain("not yours");
        (await page.Locator("#desk").CountAsync()).ShouldBe(0);
        await Browser.ScreenshotAsync(page, "desk-not-yours-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // With the desk's own credentials, the API refuses Tanger Med's crossings and steps.
        await page.GotoAsync("/desk");
        var answers = await page.EvaluateAsync<int[]>("""
            async (reference) => {
              const auth = { Authorization: 'Bearer ' + document.getElementById('desk').dataset.token, 'Content-Type': 'application/json' };
              const find = await fetch('/api/ports/MAPTM/desk/crossings?q=' + reference, { headers: auth });
              const arrive = await fetch('/api/ports/MAPTM/arrivals', { method: 'POST', headers: auth, body: JSON.stringify({ bookingReference: reference }) });
              return [find.status, arrive.status];
            }
            """, parties[0].BookingReference);
        answers.ShouldBe([403, 403]);
        (await StatusAsync(browser, parties[0])).ShouldBe(CrossingStatus.Embarked);
    }
}
