using Marhaba.Assistance;
using Marhaba.Hosting;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>The agents' board in a real browser: their places only, overdue first, live, and each step with its rule.</summary>
public class when_agents_work_the_board(AppFixture app) : Scenario(app)
{
    private static Task<AssistanceRequestOpenedResponse> OpenAsync(Browser browser, string place, AssistanceCategory category, string text, Urgency? urgency = null) =>
        browser.PostAsync<AssistanceRequestOpenedResponse>("/api/traveller/assistance",
            new OpenAssistanceRequest(null, null, category, urgency, place, text, Language.fr, null, null), Roles.Agent);

    private static async Task<IPage> BoardAsync(Browser browser, Marhaba.Staff.StaffAccountCreated agent)
    {
        var page = await browser.SignedInAsync("/board", agent);
        await page.Locator("main[data-interactive=true]").WaitForAsync();
        return page;
    }

    private static ILocator Row(IPage page, string reference) => page.GetByTestId("open-request").Filter(new() { HasText = reference });

    [Fact]
    public async Task an_agent_at_tanger_med_takes_and_resolves_a_request_that_nador_never_sees()
    {
        var browser = await App.BrowserAsync();
        var tanger = await browser.AccountAsync(Roles.Agent, "MAPTM");
        var nador = await browser.AccountAsync(Roles.Agent, "MANDR");
        var opened = await OpenAsync(browser, "MAPTM", AssistanceCategory.LostDocuments, "Passeport perdu", Urgency.High);
        var waiting = await OpenAsync(browser, "MAPTM", AssistanceCategory.Information, "Horaires du bus");

        var page = await BoardAsync(browser, tanger);
        (await Row(page, opened.Reference).InnerTextAsync()).ShouldContain("Lost documents");
        await Browser.ScreenshotAsync(page, "board-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        await page.ClickAsync($"button:has-text('Take {opened.Reference}')");
        await Row(page, opened.Reference).Filter(new() { HasText = $"Assigned ({tanger.Login})" }).WaitForAsync();
        await page.ClickAsync($"button:has-text('Work on {opened.Reference}')");
        await page.ClickAsync($"button:has-text('Resolve {opened.Reference}')");
        await page.GetByTestId("done").Filter(new() { HasText = "resolved" }).WaitForAsync();
        (await Row(page, opened.Reference).CountAsync()).ShouldBe(0);
        (await page.Locator("main").InnerTextAsync()).ShouldContain(waiting.Reference);

        // Nador's agent sees none of Tanger Med's requests, not even the one still waiting.
        var elsewhere = await BoardAsync(browser, nador);
        (await elsewhere.Locator("main").InnerTextAsync()).ShouldNotContain(waiting.Reference);
    }

    [Fact]
    public async Task a_request_appears_on_an_open_board_and_the_agent_notes_escalates_and_hands_it_over()
    {
        var browser = await App.BrowserAsync();
        var agent = await browser.AccountAsync(Roles.Agent, "MAPTM");
        var page = await BoardAsync(browser, agent);

        // Nobody reloads: the request opened at the quay shows up by itself.
        var opened = await OpenAsync(browser, "MAPTM", AssistanceCategory.VehicleBreakdown, "La voiture ne démarre plus au parking B");
        await Row(page, opened.Reference).WaitForAsync(new() { Timeout = 30_000 });
        (await Row(page, opened.Reference).InnerTextAsync()).ShouldContain("Normal");

        await page.ClickAsync($"button:has-text('Work on {opened.Reference}')");
        await page.FillAsync("#note", "Dépanneuse appelée, arrivée dans 20 minutes");
        await page.CheckAsync("#note-visible");
        await page.ClickAsync("button:has-text('Add the note')");
        await page.GetByTestId("done").Filter(new() { HasText = "shown to the traveller" }).WaitForAsync();

        await page.ClickAsync("button:has-text('Escalate to High')");
        await page.GetByTestId("done").Filter(new() { HasText = "escalated" }).WaitForAsync();
        await Row(page, opened.Reference).Filter(new() { HasText = "High" }).WaitForAsync();
        var raised = await browser.GetAsync<AssistanceRequestDetails>($"/api/assistance/{opened.RequestId}", Roles.Agent, "MAPTM");
        raised.Notes.Single().VisibleToTraveller.ShouldBeTrue();
        raised.Request.Urgency.ShouldBe(Urgency.High);
        raised.Request.AcknowledgeBy.ShouldBeLessThan(DateTimeOffset.UtcNow.AddMinutes(16), "a high request is acknowledged within 15 minutes");
        await Browser.ScreenshotAsync(page, "board-working-on-a-request");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        await page.SelectOptionAsync("#transfer-to", "MANDR");
        await page.ClickAsync("button:has-text('Transfer')");
        await page.GetByTestId("done").Filter(new() { HasText = "handed over to Nador" }).WaitForAsync();
        (await Row(page, opened.Reference).CountAsync()).ShouldBe(0, "the request is now Nador's");
        (await browser.GetAsync<AssistanceRequestDetails>($"/api/assistance/{opened.RequestId}", Roles.Agent, "MANDR")).Request.Place.ShouldBe("MANDR");
    }
}
