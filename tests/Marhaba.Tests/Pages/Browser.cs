using System.Diagnostics;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Marhaba.Simulator;
using System.Net.Http.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Microsoft.Playwright;

namespace Marhaba.Tests.Pages;

/// <summary>
/// A real browser against a real listener: the server as a process of its own, on a database of its own
/// (so that it never shares the scenario host's messages and deadlines), and Debian's Chromium driven by
/// Playwright (installed by apt where it is missing). Scenarios set their data up through its API.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly ServerProcess _server;
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly HttpClient _api;
    private readonly AppFixture _app;

    private readonly string _connection;

    private Browser(AppFixture app, string connection, ServerProcess server, IPlaywright playwright, IBrowser browser) =>
        (_app, _connection, _server, _playwright, _browser, _api) = (app, connection, server, playwright, browser, server.Client(4));

    private static Dictionary<string, string> Settings(AppFixture app) => new()
    {
        ["Travellers__AccessCodeKey"] = app.AccessCodeKey,
        ["Travellers__RequestsPerMinutePerClient"] = "1000000",
        ["Notices__Smtp__Host"] = "127.0.0.1", ["Notices__Smtp__Port"] = app.Mail.SmtpPort.ToString(), ["Notices__Smtp__Security"] = "None",
        ["Notices__SettleSeconds"] = AppFixture.NoticeSettleSeconds.ToString(),
    };

    /// <summary>A second node of the pages' server, on the same database (the caller disposes of it).</summary>
    public Task<ServerProcess> SecondNodeAsync() => ServerProcess.StartAsync(_connection, _app.SigningKey, Settings(_app));

    /// <summary>The pages' server's database.</summary>
    public string Connection => _connection;

    /// <summary>The pages' server's API client (node one).</summary>
    public HttpClient Api => _api;

    public Uri Address => _server.Address;

    /// <summary>Where each scenario's screenshots go, to be looked at.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static async Task<Browser> StartAsync(AppFixture app)
    {
        InstallChromiumWhereMissing();
        var connection = await OwnDatabase.RecreateAsync("marhaba_pages");
        var server = await ServerProcess.StartAsync(connection, app.SigningKey, Settings(app));
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
        });
        return new Browser(app, connection, server, playwright, browser);
    }

    /// <summary>A staff member's call to the pages' server, as <paramref name="role"/> (at <paramref name="ports"/>).</summary>
    public async Task<T> PostAsync<T>(string path, object body, string role, params string[] ports)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: ServerProcess.Json) };
        request.Headers.Authorization = new("Bearer", _app.Tokens.Mint($"pages-{role}", [role], ports, company: role == Roles.Operator ? "GNV" : null));
        using var response = await _api.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>(ServerProcess.Json))!;
    }

    public async Task<T> GetAsync<T>(string path, string role, params string[] ports)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", _app.Tokens.Mint($"pages-{role}", [role], ports));
        using var response = await _api.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>(ServerProcess.Json))!;
    }

    /// <summary>A sailing from Genova to Tanger Med in six hours, and a family of four booked on it.</summary>
    public async Task<(SailingSummary Sailing, CrossingBookedResponse Family)> FamilyBookedAsync()
    {
        var sailing = await PostAsync<SailingSummary>("/api/sailings", new ScheduleSailing("ITGOA-MAPTM", Direction.Inbound, "GNV", "GNV Victory",
            DateTimeOffset.UtcNow.AddHours(6), null, 1200, 1800), Roles.Planner);
        return (sailing, await PostAsync<CrossingBookedResponse>("/api/crossings", new BookCrossing(sailing.Id, 2, 2, null), Roles.Operator));
    }

    /// <summary>A Genova ship with <paramref name="parties"/> parties checked in and aboard, which has left for Tanger Med.</summary>
    public async Task<(SailingSummary Ship, List<CrossingBookedResponse> Parties, string Plate)> ShipOnItsWayAsync(int parties)
    {
        var ship = await PostAsync<SailingSummary>("/api/sailings", new ScheduleSailing("ITGOA-MAPTM", Direction.Inbound, "GNV", $"GNV Excelsior {Random.Shared.Next(1000, 9999)}",
            DateTimeOffset.UtcNow.AddHours(3), null, 1200, 1800), Roles.Planner);
        var plate = "GE" + Random.Shared.Next(100000, 999999);
        var booked = new List<CrossingBookedResponse>();
        for (var i = 0; i < parties; i++)
        {
            var crossing = await PostAsync<CrossingBookedResponse>("/api/crossings",
                new BookCrossing(ship.Id, 2, 1, i == 0 ? new VehicleDetails(VehicleKind.Car, plate, "IT") : null), Roles.Operator);
            await PostAsync<CrossingAtPortResult>("/api/ports/ITGOA/check-ins", new CrossingAtPort(crossing.BookingReference, null, "A1", null), Roles.PortStaff, "ITGOA");
            await PostAsync<CrossingAtPortResult>("/api/ports/ITGOA/boardings", new CrossingAtPort(crossing.BookingReference, null, null, null), Roles.PortStaff, "ITGOA");
            booked.Add(crossing);
        }
        await PostAsync<SailingSummary>($"/api/sailings/{ship.Id}/departure", new RecordDeparture(null, null, null), Roles.Planner);
        return (ship, booked, plate);
    }

    /// <summary>A fresh browser profile: a phone or a desktop window, in the reader's language.</summary>
    /// <param name="timezoneId">The device's own time zone (IANA), when it matters: by default the machine's.</param>
    public async Task<IPage> OpenAsync(string path, string locale, bool phone, string? timezoneId = null)
    {
        var context = await _browser.NewContextAsync(new()
        {
            Locale = locale, TimezoneId = timezoneId,
            ViewportSize = phone ? new() { Width = 390, Height = 844 } : new() { Width = 1280, Height = 900 },
            IsMobile = phone, HasTouch = phone, BaseURL = Address.ToString()
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        return page;
    }

    /// <summary>A fresh browser profile made as the scenario needs it (no script, a slow network…), on this server.</summary>
    public Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        options.BaseURL = Address.ToString();
        return _browser.NewContextAsync(options);
    }

    /// <summary>A staff member opens <paramref name="path"/>, is sent to sign in, and lands back on it (the pages in the browser's language).</summary>
    public async Task<IPage> SignedInAsync(string path, Marhaba.Staff.StaffAccountCreated account, bool phone = false, string locale = "en-GB", string? timezoneId = null)
    {
        var page = await OpenAsync(path, locale, phone, timezoneId);
        await page.FillAsync("#login", account.Login);
        await page.FillAsync("#password", account.Password);
        await page.ClickAsync("button.primary");
        await page.WaitForURLAsync("**" + path);
        return page;
    }

    /// <summary>A new staff account made by an administrator.</summary>
    public Task<Marhaba.Staff.StaffAccountCreated> AccountAsync(string role, params string[] ports) =>
        PostAsync<Marhaba.Staff.StaffAccountCreated>("/api/staff/accounts",
            new Marhaba.Staff.CreateStaffAccount($"{role}-{Guid.NewGuid():N}"[..20], "Staff " + role, role, ports, null), Roles.Admin);

    public async Task CloseWindowsAsync()
    {
        foreach (var context in _browser.Contexts.ToList()) await context.CloseAsync();
    }

    /// <summary>The page's accessibility violations that matter: serious or critical ones.</summary>
    public static async Task<List<string>> SeriousViolationsAsync(IPage page) =>
        (await page.RunAxe()).Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}").ToList();

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    private static void InstallChromiumWhereMissing()
    {
        if (File.Exists(Chromium)) return;
        foreach (var arguments in new[] { "update -qq", "install -y -qq --no-install-recommends chromium fonts-noto-core" })
        {
            using var apt = Process.Start(new ProcessStartInfo("apt-get", arguments) { Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" } })!;
            apt.WaitForExit();
        }
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"The browser tests need Debian's chromium at {Chromium}: apt-get install chromium fonts-noto-core");
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
    }
}
