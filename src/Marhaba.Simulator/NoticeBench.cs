extern alias smsgateway;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Gateway = smsgateway::Marhaba.SmsGateway;

namespace Marhaba.Simulator;

/// <summary>
/// A peak sailing cancelled with its travellers aboard the booking: every one of them, who asked to be told by e-mail
/// and SMS, rebooked and told, through a real SMTP server (smtp4dev) and the stand-in SMS gateway (a real HTTP server
/// with the account's rate limit), against the server in a process of its own. Timed by the receivers: from the
/// cancellation's answer to the last message each received. Run twice: with the gateway well, and with it failing
/// three requests in ten and down for twenty seconds in the middle. Duplicates and losses are counted, not assumed.
/// </summary>
public sealed class NoticeBench(int travellers, string jsonPath)
{
    private const int SettleSeconds = 5;
    private const int AccountRate = 100;
    private readonly List<Figure> _figures = [];

    public async Task<List<Figure>> RunAsync()
    {
        var connection = await OwnDatabase.RecreateAsync("marhaba_notices_bench");
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = key });
        await using var mail = new LocalMailServer();
        await mail.StartAsync();
        var apiKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        await using var gateway = Gateway.StandInSmsGateway.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration["Gateway:ApiKey"] = apiKey;
            builder.Configuration["Gateway:MessagesPerSecond"] = (AccountRate * 6 / 5).ToString();
            builder.Logging.ClearProviders();
        });
        await gateway.StartAsync();
        var phones = new HttpClient { BaseAddress = new Uri(gateway.Urls.First()) };

        await using var server = await ServerProcess.StartAsync(connection, key, new Dictionary<string, string>
        {
            ["Notices__SettleSeconds"] = SettleSeconds.ToString(),
            ["Notices__Smtp__Host"] = "127.0.0.1", ["Notices__Smtp__Port"] = mail.SmtpPort.ToString(), ["Notices__Smtp__Security"] = "None",
            ["Notices__Sms__BaseUrl"] = gateway.Urls.First(), ["Notices__Sms__ApiKey"] = apiKey,
            ["Notices__Sms__ReceiptsUrl"] = "{server}" + Notices.SmsReceiptEndpoint.Path, ["Notices__Sms__MessagesPerSecond"] = AccountRate.ToString(),
        });
        using var http = server.Client(16);

        await PhaseAsync("gateway well", http, tokens, mail, phones, 0, faulty: false);
        await PhaseAsync("gateway failing 30 % and down 20 s", http, tokens, mail, phones, 1, faulty: true);

        await File.WriteAllTextAsync(jsonPath, System.Text.Json.JsonSerializer.Serialize(new { machine = new { cores = Environment.ProcessorCount }, date = DateTimeOffset.UtcNow, figures = _figures },
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return _figures;
    }

    private async Task PhaseAsync(string name, HttpClient http, TokenIssuer tokens, LocalMailServer mail, HttpClient phones, int phase, bool faulty)
    {
        await mail.ClearAsync();
        (await phones.DeleteAsync(Notices.SmsProtocol.MessagesPath)).EnsureSuccessStatusCode();
        (await phones.DeleteAsync("/faults")).EnsureSuccessStatusCode();

        // The peak sailing and the two after it, with room for everyone.
        var planner = tokens.Mint("bench-planner", [Roles.Planner]);
        var departure = DateTimeOffset.UtcNow.AddDays(2 + phase).AddHours(3);
        async Task<Guid> ScheduleAsync(DateTimeOffset at) =>
            (await (await SendAsync(http, HttpMethod.Post, "/api/sailings", new ScheduleSailing("ITGOA-MAPTM", Direction.Inbound, "GNV", $"Bench {at:HHmm}", at, null, travellers + 100, 0),
                planner)).Content.ReadFromJsonAsync<SailingSummary>(ServerProcess.Json))!.Id;
        var cancelled = await ScheduleAsync(departure);
        await ScheduleAsync(departure.AddHours(6));

        // Every traveller books and asks to be told by e-mail and SMS, in one of the four languages.
        var operatorToken = tokens.Mint("bench-operator", [Roles.Operator], company: "GNV");
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < travellers)
            {
                var booked = (await (await SendAsync(http, HttpMethod.Post, "/api/crossings", new BookCrossing(cancelled, 1, 0, null), operatorToken))
                    .Content.ReadFromJsonAsync<CrossingBookedResponse>(ServerProcess.Json))!;
                var profile = new SaveProfile([new PartyMember("Bench", $"Traveller {i}", null, "MA", null, null)], $"+39347{phase}{i:D6}",
                    $"t{phase}-{i}@bench.marhaba.example", (Language)(i % 4), NotifyByEmail: true, NotifyBySms: true);
                await SendAsync(http, HttpMethod.Put, $"/api/crossings/{booked.CrossingId}/profile", profile, operatorToken);
            }
        }));

        if (faulty) (await phones.PostAsJsonAsync("/faults", new Gateway.GatewayFaultSettings(ErrorRate: 0.3))).EnsureSuccessStatusCode();
        await SendAsync(http, HttpMethod.Post, $"/api/sailings/{cancelled}/cancellation", new CancelSailing("Engine failure"), planner);
        var t0 = DateTimeOffset.UtcNow;

        // In the middle of the delivery: the gateway goes down for twenty seconds (still failing three in ten around it).
        var outage = faulty ? OutageInTheMiddleAsync(phones) : Task.CompletedTask;
        var watch = Stopwatch.StartNew();
        List<Gateway.ReceivedSms> sms;
        List<LocalMailServer.Received> emails;
        do
        {
            await Task.Delay(500);
            sms = (await phones.GetFromJsonAsync<List<Gateway.ReceivedSms>>(Notices.SmsProtocol.MessagesPath, ServerProcess.Json))!;
            emails = await mail.AllAsync();
        } while ((sms.Count < travellers || emails.Count < travellers) && watch.Elapsed < TimeSpan.FromMinutes(5));
        await outage;
        await Task.Delay(TimeSpan.FromSeconds(5)); // anything sent twice would arrive meanwhile
        sms = (await phones.GetFromJsonAsync<List<Gateway.ReceivedSms>>(Notices.SmsProtocol.MessagesPath, ServerProcess.Json))!;
        emails = await mail.AllAsync();
        var stats = (await phones.GetFromJsonAsync<Gateway.GatewayStats>("/stats", ServerProcess.Json))!;

        var times = sms.Select(m => m.ReceivedAt).Concat(emails.Select(m => m.ReceivedDate)).Order().ToList();
        var last = times.Count == 0 ? watch.Elapsed.TotalSeconds : (times[^1] - t0).TotalSeconds;
        var spread = times.Count < 2 ? 0 : (times[^1] - times[0]).TotalSeconds;
        var duplicates = emails.Count - emails.Select(m => string.Join(",", m.To)).Distinct().Count() + sms.Count - sms.Select(m => m.To).Distinct().Count();
        var lost = 2 * travellers - sms.Select(m => m.To).Distinct().Count() - emails.Select(m => string.Join(",", m.To)).Distinct().Count();
        Add($"{name}: last message after the cancellation", last, "s", $"{travellers} travellers × e-mail + SMS; settling {SettleSeconds} s included; target 60 s");
        Add($"{name}: messages per second", spread == 0 ? 0 : times.Count / spread, "msg/s", $"first to last message; SMS account rate {AccountRate}/s");
        Add($"{name}: SMS received", sms.Count, "msg", $"{stats.Submissions} submissions, {stats.Duplicates} repeats caught by the idempotency key, {stats.Throttled} throttled");
        Add($"{name}: e-mails received", emails.Count, "msg");
        Add($"{name}: duplicates", duplicates, "msg", "a second message to one address or phone");
        Add($"{name}: lost", lost, "msg", "travellers × channels with no message");
    }

    private static async Task OutageInTheMiddleAsync(HttpClient phones)
    {
        for (var i = 0; i < 600; i++)
        {
            var received = (await phones.GetFromJsonAsync<Gateway.GatewayStats>("/stats", ServerProcess.Json))!.Messages;
            if (received >= 100) break;
            await Task.Delay(100);
        }
        (await phones.PostAsJsonAsync("/faults", new Gateway.GatewayFaultSettings(ErrorRate: 0.3, OutageSeconds: 20))).EnsureSuccessStatusCode();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, object body, string token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: ServerProcess.Json) };
        request.Headers.Authorization = new("Bearer", token);
        return (await http.SendAsync(request)).EnsureSuccessStatusCode();
    }

    private void Add(string name, double value, string unit, string? note = null) => _figures.Add(new Figure(name, value, unit, note));
}
