using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>The traveller's page in a real browser: a phone at the quay, four languages, Arabic right to left.</summary>
public class when_a_traveller_opens_their_page(AppFixture app) : Scenario(app)
{
    private static async Task ShowAsync(IPage page, CrossingBookedResponse booking, string? code = null)
    {
        await page.FillAsync("#reference", booking.BookingReference);
        await page.FillAsync("#code", code ?? booking.AccessCode);
        await page.ClickAsync("button.primary");
    }

    private static async Task AskForHelpAsync(IPage page, string category, string message)
    {
        await page.SelectOptionAsync("#category", category);
        await page.FillAsync("#message", message);
        await page.ClickAsync("form[aria-labelledby=ask-help] button.primary");
        await page.GetByRole(AriaRole.Status).WaitForAsync();
    }

    [Fact]
    public async Task the_first_address_leads_a_traveller_to_their_page_in_their_language()
    {
        var browser = await App.BrowserAsync();
        var page = await browser.OpenAsync("/", "ar-MA", phone: true);
        await Browser.ScreenshotAsync(page, "home-phone");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        await page.ClickAsync("a[href='/traveller?lang=ar']");
        await page.WaitForURLAsync("**/traveller?lang=ar");
        (await page.EvaluateAsync<string>("getComputedStyle(document.documentElement).direction")).ShouldBe("rtl");
    }

    [Fact]
    public async Task a_traveller_on_an_arabic_phone_reads_the_delay_right_to_left_and_switches_to_french()
    {
        var browser = await App.BrowserAsync();
        var (sailing, family) = await browser.FamilyBookedAsync();
        await browser.PostAsync<SailingSummary>($"/api/sailings/{sailing.Id}/delay", new DelaySailing(sailing.DepartureAt.AddHours(2), null, "Weather"), Roles.Planner);

        var page = await browser.OpenAsync("/traveller", "ar-MA", phone: true);
        (await page.EvaluateAsync<string>("getComputedStyle(document.documentElement).direction")).ShouldBe("rtl");
        (await page.GetAttributeAsync("html", "lang")).ShouldBe("ar");
        await Browser.ScreenshotAsync(page, "traveller-ar-empty-phone");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        await ShowAsync(page, family);
        var status = page.GetByTestId("status");
        await status.WaitForAsync();
        (await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue("nothing runs off a phone's screen");
        (await status.InnerTextAsync()).ShouldContain("تأخرت الرحلة");
        (await status.InnerTextAsync()).ShouldContain("جنوة – طنجة المتوسط"); // the ports in Arabic script
        (await page.GetByTestId("next-step").InnerTextAsync()).ShouldStartWith("تأخير");
        (await page.EvaluateAsync<string>("getComputedStyle(document.querySelector('main')).direction")).ShouldBe("rtl");
        await Browser.ScreenshotAsync(page, "traveller-ar-status-phone");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // The same crossing in French: left to right, the words of the history in French.
        await page.ClickAsync("button[lang=fr]");
        await page.GetByTestId("status").WaitForAsync();
        (await page.GetAttributeAsync("html", "dir")).ShouldBe("ltr");
        (await page.GetByTestId("status").InnerTextAsync()).ShouldContain("Traversée retardée");
        await Browser.ScreenshotAsync(page, "traveller-fr-status-phone");
    }

    [Fact]
    public async Task a_traveller_asks_on_the_page_to_be_told_by_email_and_then_sees_the_message_about_a_delay()
    {
        var browser = await App.BrowserAsync();
        var (sailing, family) = await browser.FamilyBookedAsync();
        var page = await browser.OpenAsync("/traveller", "en-GB", phone: true);
        await ShowAsync(page, family);
        await page.GetByTestId("status").WaitForAsync();

        await page.FillAsync("#email", "leila@example"); // the browser takes it; a mail server would not
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("not an e-mail address");
        await page.FillAsync("#email", "leila@example.org");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.GetByText("you will be told of changes to your crossing").WaitForAsync();

        await browser.PostAsync<SailingSummary>($"/api/sailings/{sailing.Id}/delay", new DelaySailing(sailing.DepartureAt.AddMinutes(90), null, "Weather"), Roles.Planner);
        for (var i = 0; i < 600 && (await App.Mail.MessagesToAsync("leila@example.org")).Count == 0; i++) await Task.Delay(100);
        (await App.Mail.MessagesToAsync("leila@example.org")).Count.ShouldBe(1);

        await ShowAsync(page, family);
        var messages = page.GetByTestId("messages");
        await messages.WaitForAsync();
        (await messages.InnerTextAsync()).ShouldContain("Sailing delayed");
        (await messages.InnerTextAsync()).ShouldContain("sent to l•••@example.org");
        await Browser.ScreenshotAsync(page, "traveller-en-messages-phone");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_phone_without_javascript_on_a_3g_network_reads_the_crossing_and_the_page_stays_small()
    {
        var browser = await App.BrowserAsync();
        var (_, family) = await browser.FamilyBookedAsync();
        var context = await browser.NewContextAsync(new()
        {
            JavaScriptEnabled = false, Locale = "fr-FR", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true
        });
        var page = await context.NewPageAsync();
        // DevTools' "Fast 3G" profile: 562.5 ms round trip, 1.44 Mbit/s down, 675 kbit/s up.
        var devtools = await context.NewCDPSessionAsync(page);
        await devtools.SendAsync("Network.enable");
        await devtools.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 562.5, ["downloadThroughput"] = 180_000, ["uploadThroughput"] = 84_375
        });
        var bytes = 0L;
        var requests = new List<IRequest>();
        page.RequestFinished += (_, request) => requests.Add(request);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await page.GotoAsync("/traveller", new() { WaitUntil = WaitUntilState.Load });
        var empty = watch.Elapsed;
        await page.FillAsync("#reference", family.BookingReference);
        await page.FillAsync("#code", family.AccessCode);
        watch.Restart();
        await page.ClickAsync("button.primary"); // a plain form post: the server writes the answer
        await page.GetByTestId("status").WaitForAsync();
        var shown = watch.Elapsed;

        (await page.GetByTestId("status").InnerTextAsync()).ShouldContain("Genova");
        (await page.GetByTestId("next-step").InnerTextAsync()).ShouldNotBeEmpty();
        (await page.GetByTestId("booking-qr").InnerHTMLAsync()).ShouldContain("<svg");
        (await page.ContentAsync()).ShouldNotContain("blazor.web.js");
        foreach (var request in requests)
        {
            var sizes = await request.SizesAsync();
            bytes += sizes.ResponseBodySize + sizes.ResponseHeadersSize;
        }
        Console.WriteLine($"traveller page without JavaScript on Fast 3G: {requests.Count} requests, {bytes / 1024.0:0.0} KiB transferred " +
                          $"(empty page and the crossing shown), empty page loaded in {empty.TotalMilliseconds:0} ms, crossing shown {shown.TotalMilliseconds:0} ms after the tap");
        // Size, not time, is asserted: one document per step, no script, no font, no image fetched.
        requests.Count.ShouldBe(2, string.Join(", ", requests.Select(r => r.Url)));
        bytes.ShouldBeLessThan(64 * 1024);
        await Browser.ScreenshotAsync(page, "traveller-fr-no-javascript-3g-phone");
    }

    [Fact]
    public async Task a_wrong_code_is_explained_in_the_travellers_language_on_a_desktop()
    {
        var browser = await App.BrowserAsync();
        var (_, family) = await browser.FamilyBookedAsync();

        var page = await browser.OpenAsync("/traveller", "it-IT", phone: false);
        await ShowAsync(page, family, code: "AAAAAAAAAA");
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("Nessuna prenotazione");
        (await page.GetByTestId("status").CountAsync()).ShouldBe(0);
        await Browser.ScreenshotAsync(page, "traveller-it-wrong-code-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        await ShowAsync(page, family);
        (await page.GetByTestId("status").InnerTextAsync()).ShouldContain("Genova");

        // The booking as a QR code to show at the quay: drawn in the page, named, with the reference and never the code.
        var qr = page.GetByRole(AriaRole.Img, new() { Name = $"Codice QR della prenotazione {family.BookingReference}" });
        (await qr.EvaluateAsync<string>("e => e.tagName")).ShouldBe("svg");
        var figure = await page.GetByTestId("booking-qr").InnerHTMLAsync();
        figure.ShouldContain(family.BookingReference);
        figure.ShouldNotContain(family.AccessCode);
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_traveller_asks_for_help_in_arabic_an_agent_resolves_it_and_the_traveller_sees_it_then_cancels_another()
    {
        var browser = await App.BrowserAsync();
        var (_, family) = await browser.FamilyBookedAsync();
        var page = await browser.OpenAsync("/traveller", "ar", phone: true);
        await ShowAsync(page, family);

        await AskForHelpAsync(page, "Medical", "ابني مريض ويحتاج إلى طبيب");
        (await page.InputValueAsync("#message")).ShouldBeEmpty("a request sent leaves the form ready for another");
        (await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue("nothing runs off a phone's screen");
        var request = page.GetByTestId("request");
        (await request.CountAsync()).ShouldBe(1);
        var reference = (await request.Locator("span[dir=ltr]").InnerTextAsync()).Trim();
        await Browser.ScreenshotAsync(page, "traveller-ar-request-opened-phone");

        // The agent at Genova, where the family is, takes and resolves it; the traveller reads it resolved, in Arabic.
        var requests = await browser.PostAsync<TravellerRequestsView>("/api/traveller/requests", new TravellerKey(family.BookingReference, family.AccessCode, null), Roles.Agent);
        requests.Language.ShouldBe(Language.ar, "the request keeps the language it was written in");
        var agent = await browser.AccountAsync(Roles.Agent, "ITGOA");
        var board = await browser.SignedInAsync("/board", agent);
        await board.Locator("main[data-interactive=true]").WaitForAsync();
        await board.ClickAsync($"button:has-text('Take {reference}')");
        await board.GetByTestId("open-request").Filter(new() { HasText = reference }).Filter(new() { HasText = "Assigned" }).WaitForAsync();
        await board.ClickAsync($"button:has-text('Work on {reference}')");
        await board.ClickAsync($"button:has-text('Resolve {reference}')");
        await board.GetByTestId("done").Filter(new() { HasText = $"{reference} resolved" }).WaitForAsync();
        await ShowAsync(page, family);
        (await page.GetByTestId("request").InnerTextAsync()).ShouldContain("تم حل");
        (await page.Locator("[data-testid=request] button").CountAsync()).ShouldBe(0, "a resolved request is not cancelled");

        // A second request, cancelled by the traveller from the page.
        await AskForHelpAsync(page, "Information", "أين مكتب الجمارك؟");
        await page.Locator("[data-testid=request] button").ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        (await page.GetByRole(AriaRole.Status).InnerTextAsync()).ShouldContain("تم إلغاء");
        (await page.Locator("[data-testid=request] button").CountAsync()).ShouldBe(0);
        await Browser.ScreenshotAsync(page, "traveller-ar-request-cancelled-phone");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
    }
}
