using Marhaba.Hosting;
using Marhaba.Staff;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>Staff accounts: an administrator creates and disables them; staff sign in and out; a page shows only what the role allows.</summary>
public class when_staff_sign_in(AppFixture app) : Scenario(app)
{
    private static async Task SignInAsync(IPage page, string login, string password)
    {
        await page.FillAsync("#login", login);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button.primary");
    }

    [Fact]
    public async Task an_administrator_creates_an_account_its_owner_signs_in_sees_only_their_pages_and_a_disabled_account_is_refused()
    {
        var browser = await App.BrowserAsync();
        var admin = await browser.PostAsync<StaffAccountCreated>("/api/staff/accounts",
            new CreateStaffAccount($"admin-{Guid.NewGuid():N}"[..20], "Amina Admin", Roles.Admin, null, null), Roles.Admin);

        // The accounts page sends a stranger to sign in; a wrong password is refused in words.
        var page = await browser.OpenAsync("/admin/accounts", "en-GB", phone: false);
        page.Url.ShouldContain("/signin");
        await SignInAsync(page, admin.Login, "not-the-password");
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("wrong");
        await Browser.ScreenshotAsync(page, "signin-refused-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        await SignInAsync(page, admin.Login, admin.Password);
        await page.WaitForURLAsync("**/admin/accounts");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // The administrator creates a port officer at Nador; the password is shown once.
        var officer = $"nador-{Guid.NewGuid():N}"[..14];
        await page.FillAsync("#login", officer);
        await page.FillAsync("#name", "Youssef Nador");
        await page.SelectOptionAsync("#role", Roles.PortStaff);
        await page.FillAsync("#ports", "MANDR");
        await page.ClickAsync("form[aria-labelledby=new-account] button.primary");
        var password = (await page.GetByTestId("password").InnerTextAsync()).Trim();
        password.Length.ShouldBe(19);
        await Browser.ScreenshotAsync(page, "staff-accounts-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        await page.ClickAsync("form[action='/signout'] button");
        await page.WaitForURLAsync("**/signin?signedOut=true");

        // The officer signs in, sees where they work, and the accounts page is not theirs.
        await SignInAsync(page, officer, password);
        await page.WaitForURLAsync("**/staff");
        (await page.GetByTestId("who").InnerTextAsync()).ShouldContain("MANDR");
        (await page.Locator("a[href='/admin/accounts']").CountAsync()).ShouldBe(0);
        (await page.Locator("a[href='/desk']").CountAsync()).ShouldBe(1);
        await Browser.ScreenshotAsync(page, "staff-home-desktop");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        await page.GotoAsync("/admin/accounts");
        page.Url.ShouldContain("/signin");
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("may not open that page");
        await page.GotoAsync("/staff");
        await page.ClickAsync("form[action='/signout'] button");
        await page.WaitForURLAsync("**/signin?signedOut=true");
        (await page.GetByTestId("signed-out").InnerTextAsync()).ShouldContain("You are signed out");

        // Disabled by the administrator, the account no longer signs in.
        await SignInAsync(page, admin.Login, admin.Password);
        await page.WaitForURLAsync("**/staff");
        await page.GotoAsync("/admin/accounts");
        await page.ClickAsync($"button[value='{officer}']");
        (await page.Locator("[data-testid=account]", new() { HasText = officer }).InnerTextAsync()).ShouldContain("disabled");
        await page.ClickAsync("form[action='/signout'] button");
        await page.WaitForURLAsync("**/signin?signedOut=true");
        await SignInAsync(page, officer, password);
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).ShouldContain("disabled");
    }

    [Fact]
    public async Task the_cookie_is_secure_and_the_keys_behind_it_are_encrypted_at_rest()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/staff", officer);
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "marhaba-staff");
        (cookie.Secure, cookie.HttpOnly, cookie.SameSite).ShouldBe((true, true, SameSiteAttribute.Strict));

        // A copy of the database alone holds the keys only encrypted with a certificate kept outside it.
        await using var conn = new Npgsql.NpgsqlConnection(browser.Connection);
        await conn.OpenAsync();
        var keys = new List<string>();
        await using (var reader = await new Npgsql.NpgsqlCommand("select data ->> 'Xml' from marhaba.mt_doc_pagekey", conn).ExecuteReaderAsync())
            while (await reader.ReadAsync()) keys.Add(reader.GetString(0));
        keys.ShouldNotBeEmpty();
        keys.ShouldAllBe(k => k.Contains("encryptedSecret") && !k.Contains("<masterKey"));
    }
}
