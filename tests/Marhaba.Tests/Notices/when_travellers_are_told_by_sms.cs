extern alias smsgateway;
using System.Net.Http.Json;
using System.Text;
using Alba;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Notices;
using Marhaba.Ports;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Gateway = smsgateway::Marhaba.SmsGateway;

namespace Marhaba.Tests.Notices;

/// <summary>
/// Travellers who asked for text messages get one SMS per change, in their language and within two segments, through
/// the stand-in gateway (a real HTTP server): once each, whatever the gateway does meanwhile, with its delivery
/// receipts recorded.
/// </summary>
public class when_travellers_are_told_by_sms(AppFixture app) : Scenario(app)
{
    private static readonly PartyMember Karim = new("Karim", "Bennani", new DateOnly(1979, 9, 12), "MA", DocumentType.Passport, "AB7654321");

    private async Task<(Guid CrossingId, CrossingBookedResponse Booking)> BookedAndAskedForSmsAsync(SailingSummary sailing, string phone, Language language)
    {
        var booking = await Book(sailing.Id);
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Put.Json(new SaveProfile([Karim], phone, null, language, NotifyBySms: true)).ToUrl($"/api/crossings/{booking.CrossingId}/profile");
            s.StatusCodeShouldBe(204);
        });
        return (booking.CrossingId, booking);
    }

    private async Task<List<Notice>> NoticesAsync()
    {
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Query<Notice>().ToListAsync()).ToList();
    }

    /// <summary>Receipts come from the gateway a moment after each message, on its own schedule.</summary>
    private async Task<List<Notice>> ReceiptsRecordedAsync(int count)
    {
        for (var i = 0; i < 300; i++)
        {
            var notices = await NoticesAsync();
            if (notices.Count(n => n.DeliveredAt is not null) >= count) return notices;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Fewer than {count} delivery receipts recorded after 30 s.");
    }

    private Task CancelAsync(Guid sailingId) =>
        Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new CancelSailing("Engine failure")).ToUrl($"/api/sailings/{sailingId}/cancellation");
            s.StatusCodeShouldBe(200);
        });

    [Fact]
    public async Task a_traveller_who_asked_for_sms_in_arabic_gets_one_sms_about_a_two_hour_delay_with_the_new_local_times()
    {
        var sailing = await ScheduleSailing("ESALG-MAPTM");
        var (crossingId, booking) = await BookedAndAskedForSmsAsync(sailing, "+212 6 61 23 45 67", Language.ar);

        var newDeparture = sailing.DepartureAt.AddHours(2);
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new DelaySailing(newDeparture, null, "Levante in the strait")).ToUrl($"/api/sailings/{sailing.Id}/delay");
            s.StatusCodeShouldBe(200);
        });
        await NoticesSettledAsync();

        var sms = (await App.Sms.MessagesToAsync("+212661234567")).ShouldHaveSingleItem();
        sms.Text.ShouldContain("تأخرت الرحلة"); // "the sailing is delayed"
        sms.Text.ShouldContain(booking.BookingReference);
        // Departure in Algeciras' time, arrival in Tanger Med's, 24 hours.
        sms.Text.ShouldContain(TimeZoneInfo.ConvertTime(newDeparture, ReferenceData.Port("ESALG").Zone).ToString("HH:mm"));
        sms.Text.ShouldContain(TimeZoneInfo.ConvertTime(sailing.ArrivalAt.AddHours(2), ReferenceData.Port("MAPTM").Zone).ToString("HH:mm"));
        sms.Encoding.ShouldBe("UCS-2");
        sms.Segments.ShouldBeInRange(1, 2);
        sms.Submissions.ShouldBe(1);

        var notice = (await ReceiptsRecordedAsync(1)).ShouldHaveSingleItem();
        (notice.CrossingId, notice.Channel, notice.Kind, notice.Segments).ShouldBe((crossingId, Channel.Sms, NoticeKind.Delayed, sms.Segments));

        // The traveller sees it on their page, delivered; the administrators in their figures.
        var status = await Host.Scenario(s => s.Post.Json(new TravellerStatusRequest(booking.BookingReference, booking.AccessCode)).ToUrl("/api/traveller/status"));
        var message = (await status.ReadAsJsonAsync<TravellerStatusResponse>())!.Messages.ShouldHaveSingleItem();
        (message.Channel, message.To).ShouldBe(("Sms", "•••567"));
        message.DeliveredAt.ShouldNotBeNull();
        var figures = await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Get.Url("/api/notices/figures"); });
        (await figures.ReadAsJsonAsync<List<NoticeFigures>>())!.ShouldContain(new NoticeFigures("Sms", 1, 1, 1, 0, 0));
    }

    [Fact]
    public async Task a_gateway_down_then_failing_and_answering_garbage_during_a_cancellation_delivers_each_sms_once_when_it_is_back()
    {
        var cancelled = await ScheduleSailing("ITGOA-MAPTM");
        var next = await ScheduleSailing("ITGOA-MAPTM", departure: cancelled.DepartureAt.AddHours(6));
        var phones = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            var phone = $"+39 347 555 {i:D4}";
            await BookedAndAskedForSmsAsync(cancelled, phone, (Language)(i % 4));
            phones.Add(PhoneNumbers.PhoneNumberUtil.GetInstance().Format(PhoneNumbers.PhoneNumberUtil.GetInstance().Parse(phone, null), PhoneNumbers.PhoneNumberFormat.E164));
        }

        // Down for the first attempts; then three answers in ten are errors, one garbage, every receipt twice.
        await App.Sms.FaultsAsync(new Gateway.GatewayFaultSettings(OutageSeconds: 6, ErrorRate: 0.3, GarbageRate: 0.1, DuplicateReceiptRate: 1));
        await CancelAsync(cancelled.Id);
        await NoticesSettledAsync();

        var newDeparture = TimeZoneInfo.ConvertTime(next.DepartureAt, ReferenceData.Port("ITGOA").Zone).ToString("HH:mm");
        foreach (var phone in phones)
            (await App.Sms.MessagesToAsync(phone)).ShouldHaveSingleItem(phone).Text.ShouldContain(newDeparture);
        var stats = await App.Sms.StatsAsync();
        stats.Messages.ShouldBe(50);
        stats.Submissions.ShouldBeGreaterThanOrEqualTo(50); // retries the idempotency key caught, if any

        var notices = await ReceiptsRecordedAsync(50);
        notices.Count.ShouldBe(50);
        notices.ShouldAllBe(n => n.Kind == NoticeKind.Rebooked && n.SentAt != null && n.DeliveredAt != null);
    }

    [Fact]
    public async Task a_message_the_gateway_refuses_waits_in_the_dead_letters_until_an_administrator_replays_it()
    {
        var sailing = await ScheduleSailing("ESALG-MAPTM");
        await BookedAndAskedForSmsAsync(sailing, "+33 6 98 76 54 32", Language.fr);
        await App.Sms.FaultsAsync(new Gateway.GatewayFaultSettings(RefuseRate: 1));
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new DelaySailing(sailing.DepartureAt.AddMinutes(90), null, "Port congestion")).ToUrl($"/api/sailings/{sailing.Id}/delay");
            s.StatusCodeShouldBe(200);
        });
        await NoticesSettledAsync();

        (await App.Sms.MessagesToAsync("+33698765432")).ShouldBeEmpty();
        var admin = Token(Roles.Admin);
        var figures = await Host.Scenario(s => { s.WithBearerToken(admin); s.Get.Url("/api/notices/figures"); });
        (await figures.ReadAsJsonAsync<List<NoticeFigures>>())!.ShouldContain(new NoticeFigures("Sms", 1, 0, 0, 0, 1));

        // The number works again; the administrator replays what is in the dead letters.
        await App.Sms.FaultsAsync(new Gateway.GatewayFaultSettings());
        await using (var conn = new Npgsql.NpgsqlConnection(App.ConnectionString))
        {
            await conn.OpenAsync();
            var ids = new List<Guid>();
            await using (var reader = await new Npgsql.NpgsqlCommand($"select id from {Database.Schema}.wolverine_dead_letters", conn).ExecuteReaderAsync())
                while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
            ids.ShouldHaveSingleItem();
            await Host.Scenario(s =>
            {
                s.WithBearerToken(admin);
                s.Post.Json(new { ids }).ToUrl("/dead-letters/replay");
                s.StatusCodeShouldBeOk();
            });
        }
        var notices = await ReceiptsRecordedAsync(1);
        (await App.Sms.MessagesToAsync("+33698765432")).ShouldHaveSingleItem().Text.ShouldContain("Traversée retardée");
        notices.ShouldHaveSingleItem().SentAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task a_receipt_not_signed_by_the_gateway_is_refused_and_a_repeated_one_changes_nothing()
    {
        var body = """{"messageId":"SM1","reference":"0123456789abcdef0123456789abcdef","status":"Delivered","at":"2026-07-01T10:00:00Z"}""";
        async Task<int> PostAsync(string payload, string? key, long? timestamp = null)
        {
            var at = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, SmsReceiptEndpoint.Path) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.Add(SmsProtocol.TimestampHeader, at.ToString());
            if (key is not null) request.Headers.Add(SmsProtocol.SignatureHeader, SmsProtocol.Sign(key, at, payload));
            using var response = await Host.Server.CreateClient().SendAsync(request);
            return (int)response.StatusCode;
        }

        (await PostAsync(body, null)).ShouldBe(401);
        // Five megabytes, with or without a length given: refused before anything is read.
        var huge = new string('x', 5 * 1024 * 1024);
        (await PostAsync(huge, App.Sms.ApiKey)).ShouldBe(413);
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, SmsReceiptEndpoint.Path) { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))) })
        {
            chunked.Headers.TransferEncodingChunked = true;
            ((int)(await Host.Server.CreateClient().SendAsync(chunked)).StatusCode).ShouldBe(411);
        }
        (await PostAsync(body, "not-the-gateways-key")).ShouldBe(401);
        (await PostAsync(body, App.Sms.ApiKey, DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds())).ShouldBe(401);
        (await PostAsync("{\"messageId\":", App.Sms.ApiKey)).ShouldBe(400);
        (await PostAsync(body.Replace("Delivered", "Lost"), App.Sms.ApiKey)).ShouldBe(422);
        (await PostAsync(body.Replace("0123456789abcdef0123456789abcdef", "x"), App.Sms.ApiKey)).ShouldBe(400);
        // A receipt for a message no longer known (erased meanwhile): answered, so the gateway stops sending it.
        (await PostAsync(body, App.Sms.ApiKey)).ShouldBe(204);
        (await NoticesAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task asking_for_sms_without_a_number_is_a_422_naming_the_phone()
    {
        var sailing = await ScheduleSailing();
        var booking = await Book(sailing.Id);
        var result = await Host.Scenario(s =>
        {
            s.Put.Json(new TravellerContact(booking.BookingReference, booking.AccessCode, null, null, Language.it, false, NotifyBySms: true)).ToUrl("/api/traveller/contact");
            s.StatusCodeShouldBe(422);
        });
        (await result.ReadAsTextAsync()).ShouldContain("\"field\":\"phone\"");
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        (await session.LoadAsync<TravellerProfile>(booking.CrossingId)).ShouldBeNull();
    }

    [Theory]
    [InlineData("Sailing delayed: departure 14/07/2026 16:10, arrival 14/07/2026 19:00", "GSM-7", 1)]
    [InlineData("Traversée retardée : départ 14/07/2026 16:10, arrivée 14/07/2026 19:00 — navire en approche", "UCS-2", 2)]
    [InlineData("{€}", "GSM-7", 1)]
    public void an_sms_is_counted_in_the_segments_a_gateway_bills(string text, string encoding, int segments) =>
        SmsSegments.Count(text).ShouldBe((segments, encoding));

    [Fact]
    public void an_sms_that_would_take_three_segments_loses_its_link_then_its_tail()
    {
        var link = "https://marhaba.example/traveller";
        var arabic = string.Concat(Enumerable.Repeat("تأخرت الرحلة ", 8)); // 104 UTF-16 units: fits, the link does not
        NoticeTexts.Sms(arabic, link).ShouldBe(arabic);
        var longer = string.Concat(Enumerable.Repeat("تأخرت الرحلة ", 20));
        SmsSegments.Count(NoticeTexts.Sms(longer, link)).Segments.ShouldBe(2);
        SmsSegments.Count(NoticeTexts.Sms("Sailing delayed", link)).ShouldBe((1, "GSM-7"));
        NoticeTexts.Sms("Sailing delayed", link).ShouldEndWith(link);
    }
}
