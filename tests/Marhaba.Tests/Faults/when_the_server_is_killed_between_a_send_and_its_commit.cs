extern alias smsgateway;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marhaba.Simulator;
using Npgsql;
using Xunit.Abstractions;
using Gateway = smsgateway::Marhaba.SmsGateway;

namespace Marhaba.Tests.Faults;

/// <summary>
/// The SMS gateway takes a traveller's message (the phone has it) but the server is killed (SIGKILL) before it hears
/// back and commits: a new server process sends it again, and the gateway, seeing the same idempotency key, does not
/// send it twice. The traveller gets one SMS; the notice ends recorded as sent.
/// </summary>
public class when_the_server_is_killed_between_a_send_and_its_commit(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private const string Database = "marhaba_notice_kill_tests";
    private const string Phone = "+212661987654";
    private readonly string _key = new('n', 48);

    [Fact]
    public async Task the_sms_reaches_the_phone_once_and_is_recorded_sent_after_the_restart()
    {
        var cluster = EmbeddedPostgres.ForWorkingTree();
        await using (var conn = new NpgsqlConnection(await cluster.EnsureStartedAsync("postgres") + ";Pooling=false"))
        {
            await conn.OpenAsync();
            await new NpgsqlCommand($"drop database if exists {Database} with (force)", conn).ExecuteNonQueryAsync();
        }
        var connection = await cluster.EnsureStartedAsync(Database);
        var settings = new Dictionary<string, string>
        {
            ["Notices__SettleSeconds"] = "1", ["Notices__Sms__BaseUrl"] = App.Sms.Url, ["Notices__Sms__ApiKey"] = App.Sms.ApiKey,
            ["Notices__Sms__ReceiptsUrl"] = "{server}" + Marhaba.Notices.SmsReceiptEndpoint.Path
        };
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = _key });

        var first = await ServerProcess.StartAsync(connection, _key, settings);
        using var client = first.Client(2);
        async Task<T> Send<T>(HttpMethod method, string path, object body, string token)
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json.Options) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = (await client.SendAsync(request)).EnsureSuccessStatusCode();
            return response.StatusCode == System.Net.HttpStatusCode.NoContent ? default! : (await response.Content.ReadFromJsonAsync<T>(Json.Options))!;
        }
        var planner = tokens.Mint("planner", [Roles.Planner]);
        var sailing = await Send<SailingSummary>(HttpMethod.Post, "/api/sailings",
            new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", "Tanger Express", DateTimeOffset.UtcNow.AddHours(5), null, 1200, 0), planner);
        var operatorToken = tokens.Mint("operator", [Roles.Operator], company: "FRS");
        var booking = await Send<CrossingBookedResponse>(HttpMethod.Post, "/api/crossings", new BookCrossing(sailing.Id, 2, 1, null), operatorToken);
        await Send<object>(HttpMethod.Put, $"/api/crossings/{booking.CrossingId}/profile",
            new SaveProfile([new PartyMember("Hamid", "Ouali", null, "MA", null, null)], Phone, null, Language.ar, NotifyBySms: true), operatorToken);

        // The gateway will take the message and never answer in time.
        await App.Sms.FaultsAsync(new Gateway.GatewayFaultSettings(HangMs: 60_000));
        await Send<object>(HttpMethod.Post, $"/api/sailings/{sailing.Id}/delay", new DelaySailing(sailing.DepartureAt.AddHours(2), null, "Levante"), planner);
        var watch = Stopwatch.StartNew();
        while ((await App.Sms.MessagesToAsync(Phone)).Count == 0 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50);
        (await App.Sms.MessagesToAsync(Phone)).ShouldHaveSingleItem("the gateway took the message before the server was killed");
        await first.DisposeAsync();
        output.WriteLine($"killed the server {watch.Elapsed.TotalSeconds:0.0} s after the delay, the SMS taken and unanswered");
        await App.Sms.FaultsAsync(new Gateway.GatewayFaultSettings());

        // The new process takes over the dead one's messages once its heartbeat is missed.
        await using var second = await ServerProcess.StartAsync(connection, _key, settings);
        watch.Restart();
        while ((await App.Sms.StatsAsync()).Submissions < 2 && watch.Elapsed < TimeSpan.FromSeconds(240)) await Task.Delay(500);
        output.WriteLine($"sent again {watch.Elapsed.TotalSeconds:0.0} s after the restart");

        var stats = await App.Sms.StatsAsync();
        (stats.Messages, stats.Submissions, stats.Duplicates).ShouldBe((1, 2, 1), "sent again by the new process, caught by the idempotency key");
        (await App.Sms.MessagesToAsync(Phone)).ShouldHaveSingleItem().Text.ShouldContain("تأخرت الرحلة");
        using var traveller = second.Client(1);
        TravellerStatusResponse? status = null;
        for (var i = 0; i < 100 && status?.Messages.SingleOrDefault()?.SentAt is null; i++)
        {
            if (i > 0) await Task.Delay(100);
            status = await (await traveller.PostAsJsonAsync("/api/traveller/status", new TravellerStatusRequest(booking.BookingReference, booking.AccessCode), Json.Options))
                .Content.ReadFromJsonAsync<TravellerStatusResponse>(Json.Options);
        }
        status!.Messages.ShouldHaveSingleItem().SentAt.ShouldNotBeNull();
    }
}
