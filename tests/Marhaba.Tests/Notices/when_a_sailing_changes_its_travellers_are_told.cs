using Alba;
using Marhaba.Assistance;
using Marhaba.Hosting;
using Marhaba.Notices;
using Marhaba.Ports;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Notices;

/// <summary>
/// Travellers who asked to be told of changes get an e-mail in their language, through a real SMTP server (smtp4dev):
/// once per change as it ends up, never for a change undone before it was due.
/// </summary>
public class when_a_sailing_changes_its_travellers_are_told(AppFixture app) : Scenario(app)
{
    private static readonly PartyMember Yasmine = new("Yasmine", "El Amrani", new DateOnly(1988, 4, 2), "MA", DocumentType.Passport, "ZX1234567");

    private async Task<(Guid CrossingId, string Reference)> BookedAndAskedToBeToldAsync(SailingSummary sailing, string email, Language language)
    {
        var booking = await Book(sailing.Id);
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Put.Json(new SaveProfile([Yasmine], "+212 6 12 34 56 78", email, language, NotifyByEmail: true)).ToUrl($"/api/crossings/{booking.CrossingId}/profile");
            s.StatusCodeShouldBe(204);
        });
        return (booking.CrossingId, booking.BookingReference);
    }

    private Task Delay(Guid sailingId, DateTimeOffset departure) =>
        Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new DelaySailing(departure, null, "Weather in the strait")).ToUrl($"/api/sailings/{sailingId}/delay");
            s.StatusCodeShouldBe(200);
        });

    private async Task<List<Notice>> NoticesOfAsync(Guid crossingId)
    {
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Query<Notice>().Where(n => n.CrossingId == crossingId).ToListAsync()).ToList();
    }

    [Fact]
    public async Task a_traveller_who_asked_in_arabic_gets_one_email_about_a_two_hour_delay_with_the_new_local_times()
    {
        var sailing = await ScheduleSailing("ESALG-MAPTM");
        var (crossingId, reference) = await BookedAndAskedToBeToldAsync(sailing, "yasmine@example.org", Language.ar);

        var newDeparture = sailing.DepartureAt.AddHours(2);
        await Delay(sailing.Id, newDeparture);
        await NoticesSettledAsync();

        var received = await App.Mail.MessagesToAsync("yasmine@example.org");
        received.Count.ShouldBe(1);
        received[0].Subject.ShouldContain(reference);
        var text = await App.Mail.TextAsync(received[0].Id);
        text.ShouldContain("تأخرت الرحلة"); // "the sailing is delayed", in Arabic
        // Departure in Algeciras' time, arrival in Tanger Med's, 24 hours.
        text.ShouldContain(TimeZoneInfo.ConvertTime(newDeparture, ReferenceData.Port("ESALG").Zone).ToString("HH:mm"));
        text.ShouldContain("/traveller");
        var html = await App.Mail.HtmlAsync(received[0].Id);
        html.ShouldContain("dir=\"rtl\"");

        var notices = await NoticesOfAsync(crossingId);
        notices.Count.ShouldBe(1);
        notices[0].Kind.ShouldBe(NoticeKind.Delayed);
        notices[0].SentAt.ShouldNotBeNull();

        // What the administrators see.
        var figures = await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Get.Url("/api/notices/figures"); });
        (await figures.ReadAsJsonAsync<List<NoticeFigures>>())!.ShouldBe([new NoticeFigures("Email", 1, 1, 0, 0, 0), new NoticeFigures("Sms", 0, 0, 0, 0, 0)]);
    }

    [Fact]
    public async Task three_delays_in_a_row_make_one_message_with_the_last_times_and_a_delay_undone_in_time_makes_none()
    {
        var sailing = await ScheduleSailing("ESALG-MAPTM");
        await BookedAndAskedToBeToldAsync(sailing, "karim@example.org", Language.fr);
        var other = await ScheduleSailing("ESALG-MAPTM", departure: sailing.DepartureAt.AddHours(3));
        await BookedAndAskedToBeToldAsync(other, "nadia@example.org", Language.en);

        // Within the settling time: 30 min, then 1 h, then 1 h 40 late. The other sailing is delayed and put back.
        foreach (var minutes in new[] { 30, 60, 100 }) await Delay(sailing.Id, sailing.DepartureAt.AddMinutes(minutes));
        await Delay(other.Id, other.DepartureAt.AddMinutes(45));
        await Delay(other.Id, other.DepartureAt);
        await NoticesSettledAsync();

        var karim = await App.Mail.MessagesToAsync("karim@example.org");
        karim.Count.ShouldBe(1);
        var text = await App.Mail.TextAsync(karim[0].Id);
        text.ShouldContain("Traversée retardée");
        text.ShouldContain(TimeZoneInfo.ConvertTime(sailing.DepartureAt.AddMinutes(100), ReferenceData.Port("ESALG").Zone).ToString("HH:mm"));
        (await App.Mail.MessagesToAsync("nadia@example.org")).ShouldBeEmpty();
    }

    [Fact]
    public async Task a_cancelled_sailings_travellers_are_each_told_once_of_their_new_sailing()
    {
        var cancelled = await ScheduleSailing("ESALG-MAPTM");
        var next = await ScheduleSailing("ESALG-MAPTM", departure: cancelled.DepartureAt.AddHours(4));
        var travellers = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var email = $"traveller{i}@example.org";
            await BookedAndAskedToBeToldAsync(cancelled, email, Language.it);
            travellers.Add(email);
        }

        await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new CancelSailing("Engine failure")).ToUrl($"/api/sailings/{cancelled.Id}/cancellation");
            s.StatusCodeShouldBe(200);
        });
        await NoticesSettledAsync();

        var newDeparture = TimeZoneInfo.ConvertTime(next.DepartureAt, ReferenceData.Port("ESALG").Zone).ToString("HH:mm");
        foreach (var email in travellers)
        {
            var received = await App.Mail.MessagesToAsync(email);
            received.Count.ShouldBe(1, email);
            (await App.Mail.TextAsync(received[0].Id)).ShouldContain(newDeparture);
        }

        // What the planners see of the cancelled sailing: everyone who asked has been told.
        var told = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/planning/sailings/{cancelled.Id}/travellers-told"); });
        var figures = (await told.ReadAsJsonAsync<TravellersTold>())!;
        (figures.Status, figures.AskedToBeTold, figures.Told, figures.Waiting).ShouldBe((SailingStatus.Cancelled, 5, 5, 0));
    }

    [Fact]
    public async Task with_the_mail_server_down_the_messages_wait_and_each_arrives_once_when_it_is_back()
    {
        var sailing = await ScheduleSailing("ESALG-MAPTM");
        var crossings = new List<Guid>();
        for (var i = 0; i < 3; i++) crossings.Add((await BookedAndAskedToBeToldAsync(sailing, $"waiting{i}@example.org", Language.en)).CrossingId);

        await App.Mail.StopAsync();
        try
        {
            await Delay(sailing.Id, sailing.DepartureAt.AddHours(1));
            // Decided while the server is down: kept, not yet sent.
            for (var i = 0; i < 600 && (await Task.WhenAll(crossings.Select(NoticesOfAsync))).Any(n => n.Count == 0); i++) await Task.Delay(100);
            foreach (var crossing in crossings) (await NoticesOfAsync(crossing)).ShouldHaveSingleItem().SentAt.ShouldBeNull();
        }
        finally
        {
            await App.Mail.StartAsync();
        }
        await NoticesSettledAsync();

        for (var i = 0; i < 3; i++) (await App.Mail.MessagesToAsync($"waiting{i}@example.org")).Count.ShouldBe(1);
        foreach (var crossing in crossings) (await NoticesOfAsync(crossing)).ShouldHaveSingleItem().SentAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task a_traveller_who_asks_on_their_own_is_told_of_the_next_change_and_a_wrong_code_changes_nothing()
    {
        var sailing = await ScheduleSailing("ESALG-MAPTM");
        var booking = await Book(sailing.Id);
        await Host.Scenario(s =>
        {
            s.Put.Json(new TravellerContact(booking.BookingReference, "WRONGCODE1", "thief@example.org", null, Language.en, true)).ToUrl("/api/traveller/contact");
            s.StatusCodeShouldBe(404);
        });
        await Host.Scenario(s =>
        {
            s.Put.Json(new TravellerContact(booking.BookingReference, booking.AccessCode, "samir@example.org", "+33 6 12 34 56 78", Language.fr, true)).ToUrl("/api/traveller/contact");
            s.StatusCodeShouldBe(204);
        });

        await Delay(sailing.Id, sailing.DepartureAt.AddMinutes(50));
        await NoticesSettledAsync();

        (await App.Mail.MessagesToAsync("samir@example.org")).Count.ShouldBe(1);
        (await App.Mail.MessagesToAsync("thief@example.org")).ShouldBeEmpty();
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        (await session.LoadAsync<TravellerProfile>(booking.CrossingId))!.Phone.ShouldBe("+33612345678");
    }

    [Theory]
    [InlineData("not-an-address", "+212612345678", "email")]
    [InlineData("someone@example.org", "0612", "phone")]
    [InlineData("someone@example.org", "12345", "phone")]
    public async Task a_contact_that_reaches_no_one_is_a_422_naming_the_field(string email, string phone, string field)
    {
        var sailing = await ScheduleSailing();
        var booking = await Book(sailing.Id);
        var result = await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Put.Json(new SaveProfile([Yasmine], phone, email, Language.fr, NotifyByEmail: true)).ToUrl($"/api/crossings/{booking.CrossingId}/profile");
            s.StatusCodeShouldBe(422);
        });
        (await result.ReadAsTextAsync()).ShouldContain($"\"field\":\"{field}\"");
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        (await session.LoadAsync<TravellerProfile>(booking.CrossingId)).ShouldBeNull();
    }
}
