using Marhaba.Hosting;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>
/// A port's network may reach nothing but the platform: every page, the API's documentation and the staff pages
/// included, loads its scripts, styles, fonts and pictures from the server itself.
/// </summary>
public class no_page_loads_anything_from_another_host(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task the_travellers_the_staffs_and_the_developers_pages_ask_only_the_server()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        var elsewhere = new List<string>();
        page.Context.Request += (_, request) =>
        {
            if (new Uri(request.Url) is { Scheme: "http" or "https" } url && url.Authority != browser.Address.Authority) elsewhere.Add(request.Url);
        };

        foreach (var path in new[] { "/", "/traveller?lang=ar", "/signin", "/staff", "/desk", "/board", "/dashboard", "/admin/accounts", "/docs" })
        {
            await page.GotoAsync(path);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }
        elsewhere.ShouldBeEmpty();
    }
}
