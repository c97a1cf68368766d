using Marhaba.Assistance;
using Marhaba.Hosting;
using Marhaba.Staff;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>The agents' board in a real browser: their places only, overdue first, take and resolve.</summary>
public class when_agents_work_the_board(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task an_agent_at_tanger_med_takes_and_resolves_a_request_that_nador_never_sees()
    {
        var browser = await App.BrowserAsync();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var tanger = await browser.PostAsync<StaffAccountCreated>("/api/staff/accounts", new CreateStaffAccount($"agent-tm-{suffix}", "Salma", Roles.Agent, ["MAPTM"], null), Roles.Admin);
        var nador = await browser.PostAsync<StaffAccountCreated>("/api/staff/accounts", new CreateStaffAccount($"agent-nd-{suffix}", "Omar", Roles.Agent, ["MANDR"], null), Roles.Admin);
        var opened = await browser.PostAsync<AssistanceRequestOpenedResponse>("/api/traveller/assistance",
            new OpenAssistanceRequest(null, null, AssistanceCategory.LostDocuments, Urgency.High, "MAPTM", "Passeport perdu", Language.fr, null, null), Roles.Agent);

        var waiting = await browser.PostAsync<AssistanceRequestOpenedResponse>("/api/traveller/assistance",
            new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "MAPTM", "Horaires du bus", Language.fr, null, null), Roles.Agent);

        var page = await browser.SignedInAsync("/board", tanger);
        var row = page.GetByTestId("open-request").Filter(new() { HasText = opened.Reference });
        (await row.InnerTextAsync()).ShouldContain("LostDocuments");
        await Browser.ScreenshotAsync(page, "board-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        await page.ClickAsync($"button:has-text('Take {opened.Reference}')");
        (await page.GetByTestId("open-request").Filter(new() { HasText = opened.Reference }).InnerTextAsync()).ShouldContain($"Assigned ({tanger.Login})");
        await page.ClickAsync($"button:has-text('Resolve {opened.Reference}')");
        (await page.GetByTestId("open-request").Filter(new() { HasText = opened.Reference }).CountAsync()).ShouldBe(0);

        (await page.Locator("main").InnerTextAsync()).ShouldContain(waiting.Reference);

        // Nador's agent sees none of Tanger Med's requests, not even the one still waiting.
        var elsewhere = await browser.SignedInAsync("/board", nador);
        (await elsewhere.Locator("main").InnerTextAsync()).ShouldNotContain(waiting.Reference);
    }
}
