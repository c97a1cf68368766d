using System.Net.Http.Headers;
using System.Security.Cryptography;
using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marhaba.Simulator;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Marhaba.Tests;

/// <summary>
/// The whole server, once per test run, on this test project's own database of the embedded
/// cluster (or of the PostgreSQL named by ConnectionStrings__Marhaba), so that other test
/// projects and the running demo keep their data.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string DatabaseName = "marhaba_tests";
    /// <summary>The load balancer in front of the scenario host: its X-Forwarded-For names the real client.</summary>
    public const string ProxyAddress = "10.0.0.2";
    public IAlbaHost Host { get; private set; } = null!;
    public TokenIssuer Tokens => Host.Services.GetRequiredService<TokenIssuer>();
    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();
    public string ConnectionString => Store.Options.Tenancy.Default.Database.CreateConnection().ConnectionString;

    /// <summary>The tables of the platform's schema whose names match <paramref name="like"/> (SQL LIKE).</summary>
    public async Task<List<string>> TablesAsync(string like = "%")
    {
        await using var conn = new Npgsql.NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var list = new Npgsql.NpgsqlCommand(
            "select table_name from information_schema.tables where table_schema = 'marhaba' and table_type = 'BASE TABLE' and table_name like @like", conn);
        list.Parameters.AddWithValue("like", like);
        var tables = new List<string>();
        await using var reader = await list.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        return tables;
    }

    public string SigningKey => Host.Services.GetRequiredService<AuthOptions>().SigningKey!;

    private Task<Pages.Browser>? _browser;

    /// <summary>The pages' server as a process of its own and a real browser, started for the first scenario that needs them.</summary>
    public Task<Pages.Browser> BrowserAsync() => _browser ??= Pages.Browser.StartAsync(this);
    public bool BrowserStarted => _browser is { IsCompletedSuccessfully: true };

    /// <summary>The server-side key of access-code hashes, shared by every node of the run.</summary>
    public string AccessCodeKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    /// <summary>The metrics scraper's token.</summary>
    public string ScrapeToken { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Business time of the tests; starts at the real now, moved forward by the tests that need it.</summary>
    public TestClock Clock { get; } = new();

    /// <summary>What the server logged during the run.</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>The stand-in port authority: a real server on a loopback port.</summary>
    public StandInAuthorityServer Authority { get; } = new();

    /// <summary>The mail server travellers' messages go to: smtp4dev, read through its web API.</summary>
    public LocalMailServer Mail { get; } = new();

    /// <summary>The SMS gateway travellers' text messages go to: the stand-in gateway program.</summary>
    public StandInSmsGatewayServer Sms { get; } = new();

    /// <summary>How long a change settles before travellers are told of it, in the scenarios.</summary>
    public const int NoticeSettleSeconds = 3;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Authority.StartAsync(() => Host!.Server.CreateHandler()), Mail.StartAsync(), Sms.StartAsync(() => Host!.Server.CreateHandler()));
        Host = await AlbaHost.For<Program>(x =>
        {
            x.UseSetting("Database:Name", DatabaseName);
            x.UseSetting("Auth:SigningKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            x.UseSetting(TravellerAccess.KeySetting, AccessCodeKey);
            x.UseSetting("Demo:Seed", "false");
            x.UseSetting("Travellers:RequestsPerMinutePerClient", "1000000"); // scenarios share one client address
            x.UseSetting("Proxy:KnownProxies:0", ProxyAddress); // the ports' load balancer, for the scenarios behind it
            x.UseSetting(Marhaba.Hosting.Telemetry.ScrapeTokenSetting, ScrapeToken);
            x.UseSetting("PortAuthority:BaseUrl", Authority.Url);
            x.UseSetting("PortAuthority:Secret", Authority.Secret);
            x.UseSetting("PortAuthority:AuthorityId", StandInAuthorityServer.AuthorityId);
            x.UseSetting("Notices:Smtp:Host", "127.0.0.1");
            x.UseSetting("Notices:Smtp:Port", Mail.SmtpPort.ToString());
            x.UseSetting("Notices:Smtp:Security", "None");
            x.UseSetting("Notices:SettleSeconds", NoticeSettleSeconds.ToString());
            x.UseSetting("Notices:Sms:BaseUrl", Sms.Url);
            x.UseSetting("Notices:Sms:ApiKey", Sms.ApiKey);
            x.UseSetting("Notices:Sms:ReceiptsUrl", StandInSmsGatewayServer.ReceiptsUrl);
            x.ConfigureServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs);
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    /// <summary>
    /// Another server node on this project's database (business time shared with the fixture's),
    /// not linked to the port authority; <paramref name="settings"/> override what a scenario needs.
    /// </summary>
    public Task<IAlbaHost> StartNodeAsync(params (string Key, string Value)[] settings) =>
        AlbaHost.For<Program>(x =>
        {
            x.UseSetting("Database:Name", DatabaseName);
            x.UseSetting("Auth:SigningKey", Host.Services.GetRequiredService<AuthOptions>().SigningKey);
            x.UseSetting(TravellerAccess.KeySetting, AccessCodeKey);
            x.UseSetting("Demo:Seed", "false");
            x.UseSetting("Proxy:KnownProxies:0", ProxyAddress);
            x.UseSetting(Marhaba.Hosting.Telemetry.ScrapeTokenSetting, ScrapeToken);
            foreach (var (key, value) in settings) x.UseSetting(key, value);
            x.ConfigureServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.DisableAllExternalWolverineTransports();
            });
        });

    public async Task DisposeAsync()
    {
        if (_browser is not null) await (await _browser).DisposeAsync();
        await Host.DisposeAsync();
        await Authority.DisposeAsync();
        await Mail.DisposeAsync();
        await Sms.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}

/// <summary>Each scenario starts from an empty store, on the shared running server.</summary>
[Collection(AppCollection.Name)]
public abstract class Scenario(AppFixture app) : IAsyncLifetime
{
    protected AppFixture App { get; } = app;
    protected IAlbaHost Host => App.Host;

    public virtual async Task InitializeAsync()
    {
        App.Clock.SetUtcNow(DateTimeOffset.UtcNow);
        await Host.ResetAllMartenDataAsync();
        await using (var conn = new Npgsql.NpgsqlConnection(App.ConnectionString))
        {
            await conn.OpenAsync();
            await new Npgsql.NpgsqlCommand($"truncate {IdempotencyLog.Table}, {TravellerAccess.AttemptsTable}, {TravellerAccess.WrongCodesTable}, {Marhaba.Assistance.AssistanceLimits.Table}", conn).ExecuteNonQueryAsync();
        }
        // Messages left by an earlier scenario (scheduled deadlines, retries) must not fire into this one.
        await Host.Services.GetRequiredService<Wolverine.Runtime.IWolverineRuntime>().Storage.Admin.ClearAllAsync();
        await App.Authority.ResetAsync();
        await App.Mail.ClearAsync();
        await App.Sms.ResetAsync();
    }

    /// <summary>A scenario's browser windows close with it: no live page keeps polling into the next one.</summary>
    public async Task DisposeAsync()
    {
        if (App.BrowserStarted) await (await App.BrowserAsync()).CloseWindowsAsync();
    }

    /// <summary>
    /// Every asynchronous projection running and caught up with the store: through Wolverine, which owns the shards
    /// (Marten's own wait only watches them, and a shard not yet restarted after the reset looks idle).
    /// </summary>
    protected Task ProjectionsCaughtUpAsync() =>
        Wolverine.Marten.TestingExtensions.PauseThenCatchUpOnMartenDaemonActivityAsync(Host, timeout: TimeSpan.FromSeconds(60));

    /// <summary>
    /// Every decision to tell a traveller has come due and every message it made has been handled (sent, or given up
    /// on): none of the notices' messages is left in Wolverine's inbox, scheduled or waiting.
    /// </summary>
    protected async Task NoticesSettledAsync()
    {
        await using var conn = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();
        await using var pending = new Npgsql.NpgsqlCommand(
            $"select count(*) from {Database.Schema}.wolverine_incoming_envelopes where message_type like 'Marhaba.Notices.%' and status <> 'Handled'", conn);
        for (var i = 0; i < 1200; i++)
        {
            if ((long)(await pending.ExecuteScalarAsync())! == 0) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("Travellers' notices still pending after two minutes.");
    }

    protected string Token(string role, params string[] ports) => App.Tokens.Mint($"test-{role}-{string.Join("-", ports)}", [role], ports);

    protected string PortStaff(string port) => Token(Roles.PortStaff, port);
    /// <summary>A booking system working for every line.</summary>
    protected string Operator => OperatorOf("GNV");
    /// <summary>A ferry company's booking system.</summary>
    protected string OperatorOf(string company) => App.Tokens.Mint($"test-operator-{company}", [Roles.Operator], company: company);
    protected string Planner => Token(Roles.Planner);

    protected HttpClient Client(string? token = null)
    {
        var client = Host.Server.CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A planner schedules a sailing through the API.</summary>
    protected async Task<SailingSummary> ScheduleSailing(
        string route = "ITGOA-MAPTM", Direction direction = Direction.Inbound, int passengers = 1200, int laneMetres = 1800,
        DateTimeOffset? departure = null)
    {
        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new ScheduleSailing(route, direction, "GNV", "GNV Victory", departure ?? App.Clock.GetUtcNow().AddHours(6),
                null, passengers, laneMetres)).ToUrl("/api/sailings");
            s.StatusCodeShouldBe(201);
        });
        return (await result.ReadAsJsonAsync<SailingSummary>())!;
    }

    /// <summary>An operator books a party onto a sailing through the API.</summary>
    protected async Task<CrossingBookedResponse> Book(Guid sailingId, int adults = 2, int children = 2, VehicleDetails? vehicle = null, string? company = null)
    {
        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(company is null ? Operator : OperatorOf(company));
            s.Post.Json(new BookCrossing(sailingId, adults, children, vehicle)).ToUrl("/api/crossings");
            s.StatusCodeShouldBe(201);
        });
        return (await result.ReadAsJsonAsync<CrossingBookedResponse>())!;
    }

    /// <summary>A family with a car booked on a new sailing of the route.</summary>
    protected async Task<(CrossingBookedResponse Booking, SailingSummary Sailing)> Booked(VehicleDetails? vehicle = null, string route = "ITGOA-MAPTM")
    {
        var sailing = await ScheduleSailing(route);
        return (await Book(sailing.Id, 2, 2, vehicle ?? new VehicleDetails(VehicleKind.Car, "AB-123-CD", "F")), sailing);
    }

    /// <summary>The same, on a sailing that has since left its port: the test clock moved past its departure.</summary>
    protected async Task<(CrossingBookedResponse Booking, SailingSummary Sailing)> BookedAndSailed(VehicleDetails? vehicle = null, string route = "ITGOA-MAPTM")
    {
        var booked = await Booked(vehicle, route);
        ShipLeft(booked.Sailing);
        return booked;
    }

    /// <summary>Business time moves to just after the sailing's departure: the ship has left.</summary>
    protected void ShipLeft(SailingSummary sailing) => App.Clock.SetUtcNow(sailing.DepartureAt.AddMinutes(1));

    /// <summary>Port staff post at their desk (arrivals, check-ins, ...) and expect a status.</summary>
    protected Task<IScenarioResult> Record(string port, string token, object body, int status, string? key = null, string action = "arrivals") =>
        Host.Scenario(s =>
        {
            s.WithBearerToken(token);
            if (key is not null) s.WithRequestHeader(Idempotency.Header, key);
            s.Post.Json(body).ToUrl($"/api/ports/{port}/{action}");
            s.StatusCodeShouldBe(status);
        });
}
