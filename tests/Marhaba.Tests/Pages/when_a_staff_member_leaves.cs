using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Marhaba.Hosting;
using Marhaba.Simulator;
using Marhaba.Staff;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>
/// Access follows the account as it is now, on every node: a disabled officer's open desk stops working, a signed-out
/// desk's token is refused, and the token a desk is given carries only port staff at its port, for 15 minutes.
/// </summary>
public class when_a_staff_member_leaves(AppFixture app) : Scenario(app)
{
    private static async Task<string> DeskTokenAsync(IPage page) => (await page.Locator("#desk").GetAttributeAsync("data-token"))!;

    private static async Task<HttpStatusCode> DeskReadAsync(HttpClient node, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ports/MAPTM/desk/sailings");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await node.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>How long until the token is refused on that node (at most <paramref name="within"/>).</summary>
    private static async Task<TimeSpan> RefusedWithinAsync(HttpClient node, string token, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (await DeskReadAsync(node, token) != HttpStatusCode.Unauthorized)
        {
            watch.Elapsed.ShouldBeLessThan(within, "the token still works");
            await Task.Delay(100);
        }
        return watch.Elapsed;
    }

    private async Task ChangeAsync(HttpMethod method, string path, object? body = null)
    {
        var browser = await App.BrowserAsync();
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: ServerProcess.Json) };
        request.Headers.Authorization = new("Bearer", App.Tokens.Mint("pages-admin", [Roles.Admin]));
        using var response = await browser.Api.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_disabled_officers_open_desk_stops_working_on_both_nodes_within_seconds()
    {
        var browser = await App.BrowserAsync();
        await using var second = await browser.SecondNodeAsync();
        using var nodeTwo = second.Client(2);
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        var token = await DeskTokenAsync(page);
        (await DeskReadAsync(browser.Api, token)).ShouldBe(HttpStatusCode.OK);
        (await DeskReadAsync(nodeTwo, token)).ShouldBe(HttpStatusCode.OK);

        await ChangeAsync(HttpMethod.Post, $"/api/staff/accounts/{officer.Login}/disable");
        var one = await RefusedWithinAsync(browser.Api, token, TimeSpan.FromSeconds(5));
        var two = await RefusedWithinAsync(nodeTwo, token, TimeSpan.FromSeconds(5));
        Console.WriteLine($"desk token refused {one.TotalSeconds:0.0} s after the disable on the node that made it, {two.TotalSeconds:0.0} s on the other");

        // The open desk finds out at its next read: it can get no new token, and says so with the way back.
        await page.FillAsync("#q", "MRH");
        var ended = page.GetByTestId("session-ended");
        await ended.WaitForAsync();
        (await ended.Locator("a").GetAttributeAsync("href")).ShouldBe("/signin?ended=true&ReturnUrl=%2Fdesk%3Fport%3DMAPTM");

        // Reloaded, its sign-in cookie is refused too: the sign-in page says the session ended.
        await page.ReloadAsync();
        page.Url.ShouldContain("/signin");
        page.Url.ShouldContain("ended=true");
        (await page.GetByTestId("session-ended").InnerTextAsync()).ShouldContain("Your session has ended");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // Enabled again, the old token stays refused: the account signs in afresh, and lands back on its desk.
        await ChangeAsync(HttpMethod.Post, $"/api/staff/accounts/{officer.Login}/enable");
        await Task.Delay(StaffAccess.Freshness + TimeSpan.FromSeconds(1));
        (await DeskReadAsync(nodeTwo, token)).ShouldBe(HttpStatusCode.Unauthorized);
        await page.FillAsync("#login", officer.Login);
        await page.FillAsync("#password", officer.Password);
        await page.ClickAsync("button.primary");
        await page.WaitForURLAsync("**/desk");
        (await page.GetByTestId("session-ended").IsVisibleAsync()).ShouldBeFalse();
    }

    [Fact]
    public async Task a_new_password_ends_the_old_one_and_every_session_made_with_it()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        var token = await DeskTokenAsync(page);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/staff/accounts/{officer.Login}/password");
        request.Headers.Authorization = new("Bearer", App.Tokens.Mint("pages-admin", [Roles.Admin]));
        using var response = await browser.Api.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var reset = (await response.Content.ReadFromJsonAsync<StaffPasswordReset>(ServerProcess.Json))!;
        reset.Password.ShouldNotBe(officer.Password);

        await RefusedWithinAsync(browser.Api, token, TimeSpan.FromSeconds(5));
        await page.ReloadAsync();
        page.Url.ShouldContain("/signin");
        // The old password opens nothing; the new one opens the desk.
        await page.FillAsync("#login", officer.Login);
        await page.FillAsync("#password", officer.Password);
        await page.ClickAsync("button.primary");
        await page.Locator("[role=alert]", new() { HasText = "password is wrong" }).WaitForAsync();
        await SignInHereAsync(page, officer with { Password = reset.Password }, "/desk");
        var changes = await browser.GetAsync<List<StaffAccountChanged>>($"/api/staff/accounts/{officer.Login}/changes", Roles.Admin);
        changes.Last().Change.ShouldBe(StaffAccountChange.PasswordReset);
    }

    [Fact]
    public async Task a_signed_out_desks_token_is_refused_and_a_role_change_ends_the_session()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        var token = await DeskTokenAsync(page);
        (await DeskReadAsync(browser.Api, token)).ShouldBe(HttpStatusCode.OK);
        await page.ClickAsync("form[action='/signout'] button");
        await page.WaitForURLAsync("**/signin?signedOut=true");
        await RefusedWithinAsync(browser.Api, token, TimeSpan.FromSeconds(5));

        // Signed in again; then an administrator moves the officer to Nador: the Tanger Med desk's token ends.
        page = await browser.SignedInAsync("/desk", officer);
        token = await DeskTokenAsync(page);
        (await DeskReadAsync(browser.Api, token)).ShouldBe(HttpStatusCode.OK);
        await ChangeAsync(HttpMethod.Put, $"/api/staff/accounts/{officer.Login}", new ChangeStaffAccount(Roles.PortStaff, ["MANDR"], null));
        await RefusedWithinAsync(browser.Api, token, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task an_administrators_desk_token_carries_port_staff_at_that_port_only_for_fifteen_minutes()
    {
        var browser = await App.BrowserAsync();
        var admin = await browser.AccountAsync(Roles.Admin);
        var page = await browser.SignedInAsync("/desk?port=MANDR", admin);
        var jwt = new JsonWebToken(await DeskTokenAsync(page));
        jwt.Claims.Where(c => c.Type == Claims.Role).Select(c => c.Value).ShouldBe([Roles.PortStaff]);
        jwt.Claims.Where(c => c.Type == Claims.Port).Select(c => c.Value).ShouldBe(["MANDR"]);
        (jwt.ValidTo - DateTime.UtcNow).ShouldBeLessThanOrEqualTo(PageTokens.Lifetime);
        // Renewed through the cookie session, the same narrow token.
        var renewed = await page.EvaluateAsync<string>("async () => (await (await fetch('/desk/token?port=MANDR', { method: 'POST' })).json()).token");
        new JsonWebToken(renewed).Claims.Where(c => c.Type == Claims.Role).Select(c => c.Value).ShouldBe([Roles.PortStaff]);
    }

    [Fact]
    public async Task an_administrator_cannot_demote_or_disable_themselves_and_every_change_is_recorded()
    {
        var browser = await App.BrowserAsync();
        var created = await browser.AccountAsync(Roles.Admin);
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        // The administrator's own token, bound to the account as it is.
        var self = new JsonWebToken(await DeskTokenOfAccountAsync(browser, created)).Claims.First(c => c.Type == StaffAccess.StampClaim).Value;
        var own = App.Tokens.Mint(created.Login, [Roles.Admin], stamp: self);
        async Task<HttpResponseMessage> AsSelf(HttpMethod method, string path, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: ServerProcess.Json) };
            request.Headers.Authorization = new("Bearer", own);
            return await browser.Api.SendAsync(request);
        }
        (await AsSelf(HttpMethod.Post, $"/api/staff/accounts/{created.Login}/disable")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await AsSelf(HttpMethod.Put, $"/api/staff/accounts/{created.Login}", new ChangeStaffAccount(Roles.Planner, null, null))).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await AsSelf(HttpMethod.Put, $"/api/staff/accounts/{officer.Login}", new ChangeStaffAccount("captain", null, null))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await AsSelf(HttpMethod.Post, $"/api/staff/accounts/{officer.Login}/disable")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await AsSelf(HttpMethod.Post, $"/api/staff/accounts/{officer.Login}/sign-out-everywhere")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var changes = await (await AsSelf(HttpMethod.Get, $"/api/staff/accounts/{officer.Login}/changes")).Content.ReadFromJsonAsync<List<StaffAccountChanged>>(ServerProcess.Json);
        changes!.Select(c => c.Change).ShouldBe([StaffAccountChange.Created, StaffAccountChange.Disabled, StaffAccountChange.SignedOutEverywhere]);
        changes!.Skip(1).ShouldAllBe(c => c.By == created.Login);
    }

    [Fact]
    public async Task the_next_person_on_a_tablet_never_sees_or_sends_the_previous_persons_queue()
    {
        var browser = await App.BrowserAsync();
        var (_, parties, _) = await browser.ShipOnItsWayAsync(1);
        var reference = parties[0].BookingReference;
        var first = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var second = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", first, phone: true);

        // The first officer records an arrival with no network, then signs out: the page says it was not sent.
        await page.Context.SetOfflineAsync(true);
        await page.FillAsync("#q", reference);
        await page.ClickAsync("details summary");
        await page.SelectOptionAsync("#step", "Arrival");
        await page.ClickAsync("#record-typed");
        await page.Locator("li[data-state=waiting]").WaitForAsync();
        await page.ClickAsync("form[action='/signout'] button");
        (await page.GetByTestId("unsent-count").InnerTextAsync()).ShouldContain("1 step(s)");
        await Browser.ScreenshotAsync(page, "desk-sign-out-unsent-phone");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        await page.Context.SetOfflineAsync(false);
        await page.ClickAsync("#unsent-keep");
        await page.WaitForURLAsync("**/signin**");

        // The next officer on the same tablet sees an empty queue, and sends nothing of the first's.
        await SignInHereAsync(page, second, "/desk");
        await page.Locator("#network").Filter(new() { HasText = "Online" }).WaitForAsync();
        (await page.Locator("li[data-testid=queued]").CountAsync()).ShouldBe(0);
        (await browser.GetAsync<Marhaba.Crossings.CrossingView>($"/api/crossings/{parties[0].CrossingId}", Roles.PortStaff, "MAPTM")).Status
            .ShouldBe(Marhaba.Crossings.CrossingStatus.Embarked);
        await page.ClickAsync("form[action='/signout'] button");
        await page.WaitForURLAsync("**/signin**");

        // Back, the first officer finds the step kept, and the desk sends it.
        await SignInHereAsync(page, first, "/desk");
        await page.Locator("li[data-state=done]").WaitForAsync();
        (await browser.GetAsync<Marhaba.Crossings.CrossingView>($"/api/crossings/{parties[0].CrossingId}", Roles.PortStaff, "MAPTM")).Status
            .ShouldBe(Marhaba.Crossings.CrossingStatus.Arrived);
    }

    [Fact]
    public async Task a_tablet_forgets_the_plates_and_references_of_old_steps_whoever_recorded_them()
    {
        var browser = await App.BrowserAsync();
        var officer = await browser.AccountAsync(Roles.PortStaff, "MAPTM");
        var page = await browser.SignedInAsync("/desk", officer);
        // Steps another officer left on this tablet: sent two days ago, never sent for four days, and one from this morning.
        await page.EvaluateAsync(@"() => {
            const at = (hours) => new Date(Date.now() - hours * 3600 * 1000).toISOString();
            localStorage.setItem('marhaba-desk-queue:someone-else:MAPTM', JSON.stringify([
              { key: 'a', state: 'done', queuedAt: at(48), label: 'Record arrival · GE872KT', body: { plate: 'GE872KT' } },
              { key: 'b', state: 'waiting', queuedAt: at(96), label: 'Record arrival · MRH-OLDOLDOLD1', body: { bookingReference: 'MRH-OLDOLDOLD1' } },
              { key: 'c', state: 'waiting', queuedAt: at(3), label: 'Record arrival · MRH-FRESHFRESH', body: { bookingReference: 'MRH-FRESHFRESH' } },
            ]));
            localStorage.setItem('marhaba-desk-queue:gone-for-good:MAPTM', JSON.stringify([
              { key: 'd', state: 'refused', queuedAt: at(30), label: 'Clear · AB123CD', body: { plate: 'AB123CD' } }]));
          }");
        var stored = await page.EvaluateAsync<string>("() => JSON.stringify(localStorage)");
        stored.ShouldContain("GE872KT", customMessage: "the old steps must be there before the desk opens again, or this proves nothing");

        await page.ReloadAsync();
        await page.Locator("#network").Filter(new() { HasText = "Online" }).WaitForAsync();
        stored = await page.EvaluateAsync<string>("() => JSON.stringify(localStorage)");
        foreach (var gone in new[] { "GE872KT", "MRH-OLDOLDOLD1", "AB123CD", "gone-for-good" }) stored.ShouldNotContain(gone);
        stored.ShouldContain("MRH-FRESHFRESH", customMessage: "a step of this morning still waits for its officer");
    }

    private static async Task SignInHereAsync(IPage page, StaffAccountCreated account, string path)
    {
        await page.GotoAsync(path);
        await page.FillAsync("#login", account.Login);
        await page.FillAsync("#password", account.Password);
        await page.ClickAsync("button.primary");
        await page.WaitForURLAsync("**" + path);
    }

    private static async Task<string> DeskTokenOfAccountAsync(Browser browser, StaffAccountCreated account)
    {
        var page = await browser.SignedInAsync("/desk?port=MAPTM", account);
        return await DeskTokenAsync(page);
    }
}
