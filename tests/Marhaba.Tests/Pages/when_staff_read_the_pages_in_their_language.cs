using System.Globalization;
using System.Text.RegularExpressions;
using Marhaba.Hosting;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>
/// Every page in each of the four languages, as a staff member who picked it on the sign-in page reads them: the
/// document's language and direction, no English left where a translation exists (the live pages checked once their
/// connection has taken over), and axe's serious or critical findings. The language is kept on the account: it beats
/// the browser's on the next device, and the switch on any page changes it everywhere.
/// </summary>
public partial class when_staff_read_the_pages_in_their_language(AppFixture app) : Scenario(app)
{
    private static readonly string[] Pages =
        ["/", "/traveller", "/staff", "/desk", "/board", "/dashboard", "/dashboard/report?port=MAPTM", "/admin/accounts"];

    private static Dictionary<string, string> Texts(string family, string language) =>
        every_text_is_in_four_languages.Texts(family, language == "en" ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(language));

    /// <summary>
    /// Pieces of English that must not show on a page read in <paramref name="language"/>: the literal parts (between
    /// placeholders) of each English text that has a different translation, long enough to mean something, and not
    /// found in any of that language's own texts.
    /// </summary>
    private static List<string> EnglishLeftovers(string language)
    {
        var pieces = new List<string>();
        foreach (var family in every_text_is_in_four_languages.Families)
        {
            var (english, translated) = (Texts(family, "en"), Texts(family, language));
            var all = string.Join("\n", translated.Values);
            pieces.AddRange(english.Where(e => translated.GetValueOrDefault(e.Key) != e.Value)
                .SelectMany(e => Placeholder().Split(e.Value)).Select(p => p.Trim(' ', ',', '.', ':', ';', '(', ')', '·'))
                .Where(p => p.Length >= 12 && p.Contains(' ') && !all.Contains(p, StringComparison.OrdinalIgnoreCase)));
        }
        return pieces.Distinct().ToList();
    }

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex Placeholder();

    private static async Task<string?> CheckAsync(IPage page, string path, string language, List<string> leftovers)
    {
        var found = new List<string>();
        if (await page.GetAttributeAsync("html", "lang") != language) found.Add($"lang={await page.GetAttributeAsync("html", "lang")}");
        var direction = await page.EvaluateAsync<string>("getComputedStyle(document.documentElement).direction");
        if (direction != (language == "ar" ? "rtl" : "ltr")) found.Add($"direction {direction}");
        // Every word of the page in its own language (hidden ones too: closed sections, messages not shown yet), but
        // not what is marked as another language (the home page names each language in itself).
        var text = await page.EvaluateAsync<string>("""
            () => {
              const lang = document.documentElement.lang, words = [document.title];
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              for (let node; (node = walker.nextNode());) {
                const owner = node.parentElement.closest('[lang]');
                if ((owner && owner.lang !== lang) || node.parentElement.closest('script, style, noscript')) continue;
                words.push(node.textContent);
              }
              return words.join(' ');
            }
            """);
        found.AddRange(leftovers.Where(l => text.Contains(l, StringComparison.OrdinalIgnoreCase)).Select(l => $"English: “{l}”"));
        found.AddRange(await Browser.SeriousViolationsAsync(page));
        if (path == "/desk")
        {
            // The installable desk's name on the tablet's home screen, in the same language.
            var manifest = await page.EvaluateAsync<string[]>("async () => { const m = await (await fetch(document.querySelector('link[rel=manifest]').href)).json(); return [m.lang, m.name, m.dir]; }");
            var expected = new[] { language, Texts("Marhaba.Pages.StaffTexts", language)["Desk_AppName"], language == "ar" ? "rtl" : "ltr" };
            if (!manifest.SequenceEqual(expected)) found.Add($"manifest {string.Join(" / ", manifest)}");
        }
        Console.WriteLine($"{path} in {language}: {(found.Count == 0 ? "own language, axe 0 serious or critical" : string.Join("; ", found))}");
        return found.Count == 0 ? null : $"{path} in {language}: {string.Join("; ", found)}";
    }

    /// <summary>Waits until the page has drawn what its scripts or its live connection draw.</summary>
    private static async Task SettledAsync(IPage page, string path, string language)
    {
        if (path == "/desk") await page.Locator("#sailings li").First.WaitForAsync();
        if (path is "/board" or "/dashboard")
        {
            await page.Locator("main[data-interactive=true]").WaitForAsync();
            // The live text, written through the connection: it is in the reader's language too.
            var live = Texts("Marhaba.Pages.StaffTexts", language)[path == "/board" ? "Board_UpdatedLive" : "Dash_UpdatedLive"];
            var tail = live[(live.LastIndexOf('}') + 1)..].Trim();
            await page.GetByTestId("updated").Filter(new() { HasText = tail }).WaitForAsync();
        }
    }

    [Theory]
    [InlineData("ar")]
    [InlineData("fr")]
    [InlineData("it")]
    [InlineData("en")]
    public async Task an_administrator_who_picks_a_language_at_sign_in_reads_every_page_in_it(string language)
    {
        var browser = await App.BrowserAsync();
        await browser.FamilyBookedAsync(); // ships on the desk and the dashboard
        var admin = await browser.AccountAsync(Roles.Admin);
        var leftovers = language == "en" ? [] : EnglishLeftovers(language);
        var problems = new List<string?>();

        // The browser asks for another language: the one picked on the page wins.
        var page = await browser.OpenAsync($"/signin?lang={language}", "de-DE", phone: false);
        problems.Add(await CheckAsync(page, "/signin", language, leftovers));
        await page.FillAsync("#login", admin.Login);
        await page.FillAsync("#password", admin.Password);
        await page.ClickAsync("button.primary");
        await page.WaitForURLAsync("**/staff");

        foreach (var path in Pages)
        {
            await page.GotoAsync(path);
            await SettledAsync(page, path, language);
            problems.Add(await CheckAsync(page, path, language, leftovers));
            await Browser.ScreenshotAsync(page, $"language-{language}-{path.Trim('/').Split('?')[0].Replace('/', '-') switch { "" => "home", var p => p }}");
        }
        problems.Where(p => p is not null).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_planner_switches_to_italian_on_one_page_and_every_page_and_device_follows()
    {
        var browser = await App.BrowserAsync();
        var planner = await browser.AccountAsync(Roles.Planner);

        // Nothing chosen yet: the browser's French.
        var page = await browser.SignedInAsync("/staff", planner, locale: "fr-FR");
        (await page.Locator("h1").InnerTextAsync()).ShouldBe("Marhaba · Personnel");

        await page.ClickAsync("header button[lang=it]");
        await page.WaitForURLAsync("**/staff");
        (await page.Locator("h1").InnerTextAsync()).ShouldBe("Marhaba · Personale");
        (await page.Locator("header button[aria-current=true]").GetAttributeAsync("lang")).ShouldBe("it");

        // The live dashboard, after its connection takes over, in Italian; numbers and days the Italian way.
        await page.GotoAsync("/dashboard");
        await page.Locator("main[data-interactive=true]").WaitForAsync();
        await page.GetByTestId("updated").Filter(new() { HasText = "si aggiorna da solo" }).WaitForAsync();
        (await page.Locator("h1").InnerTextAsync()).ShouldStartWith("Cruscotto dei pianificatori");
        var today = ReferenceDataToday();
        (await page.Locator($"tr[data-day='{today:yyyy-MM-dd}'] td").First.InnerTextAsync())
            .ShouldBe(today.ToString("ddd dd MMM", CultureInfo.GetCultureInfo("it-IT")));

        // Signed out: the sign-in page keeps Italian. Another device whose browser speaks Arabic: still Italian.
        await page.ClickAsync("form[action='/signout'] button");
        await page.WaitForURLAsync("**/signin?signedOut=true&lang=it");
        (await page.GetByTestId("signed-out").InnerTextAsync()).ShouldStartWith("È uscito");
        var other = await browser.SignedInAsync("/staff", planner, locale: "ar-MA");
        (await other.Locator("h1").InnerTextAsync()).ShouldBe("Marhaba · Personale");
        (await other.GetAttributeAsync("html", "dir")).ShouldBe("ltr");
    }

    private static DateOnly ReferenceDataToday() => Marhaba.Ports.ReferenceData.Port("MAPTM").LocalDay(DateTimeOffset.UtcNow);

    [Fact]
    public async Task a_language_that_is_not_one_of_the_four_is_refused_and_changes_nothing()
    {
        var browser = await App.BrowserAsync();
        var agent = await browser.AccountAsync(Roles.Agent, "MAPTM");
        var page = await browser.SignedInAsync("/staff", agent, locale: "en-GB");
        // A hand-made form (the page offers only the four): refused in words, the account keeps its language.
        var token = await page.Locator("header form.languages input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var answer = await page.APIRequest.PostAsync("/staff/language",
            new() { Form = FormOf(page, ("lang", "de"), ("returnUrl", "/staff"), ("__RequestVerificationToken", token!)), MaxRedirects = 0 });
        answer.Status.ShouldBe(400);
        (await answer.TextAsync()).ShouldContain("lang");
        await page.ReloadAsync();
        (await page.GetAttributeAsync("html", "lang")).ShouldBe("en");

        // Without the page's anti-forgery token (another site's form), nothing is changed either.
        var forged = await page.APIRequest.PostAsync("/staff/language", new() { Form = FormOf(page, ("lang", "ar"), ("returnUrl", "/staff")), MaxRedirects = 0 });
        forged.Status.ShouldBe(400);
        await page.ReloadAsync();
        (await page.GetAttributeAsync("html", "lang")).ShouldBe("en");
    }

    private static IFormData FormOf(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.APIRequest.CreateFormData();
        foreach (var (name, value) in fields) form.Set(name, value);
        return form;
    }
}
