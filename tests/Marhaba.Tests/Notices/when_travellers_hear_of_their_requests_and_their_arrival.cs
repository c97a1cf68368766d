using Alba;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Notices;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Notices;

/// <summary>
/// A traveller who asked to be told hears when an agent takes up their request for help, writes to them and resolves
/// it, and is welcomed with the arrival port's assistance line when recorded arriving.
/// </summary>
public class when_travellers_hear_of_their_requests_and_their_arrival(AppFixture app) : Scenario(app)
{
    private async Task GiveContactAsync(CrossingBookedResponse booking, Language language, string? email = null, string? phone = null) =>
        await Host.Scenario(s =>
        {
            s.Put.Json(new TravellerContact(booking.BookingReference, booking.AccessCode, email, phone, language, email is not null, phone is not null))
                .ToUrl("/api/traveller/contact");
            s.StatusCodeShouldBe(204);
        });

    private Task Act(Guid requestId, string action, object body) =>
        Host.Scenario(s =>
        {
            s.WithBearerToken(Token(Roles.Agent, "MAPTM"));
            s.Post.Json(body).ToUrl($"/api/assistance/{requestId}/{action}");
            s.StatusCodeShouldBe(200);
        });

    private async Task<List<Notice>> NoticesAsync()
    {
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Query<Notice>().OrderBy(n => n.DecidedAt).ToListAsync()).ToList();
    }

    [Fact]
    public async Task an_agent_taking_up_writing_to_and_resolving_a_request_makes_three_messages_on_each_channel()
    {
        var (booking, _) = await BookedAndSailed();
        await GiveContactAsync(booking, Language.fr, email: "nadia@example.org", phone: "+33 6 11 22 33 44");
        var opened = await Host.Scenario(s =>
        {
            s.Post.Json(new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode, AssistanceCategory.AdministrativeAndCustoms, Urgency.Normal,
                "MAPTM", "Customs ask for a paper we do not have", Language.fr, null, null)).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        });
        var request = (await opened.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;

        await Act(request.RequestId, "acknowledge", new { });
        await NoticesSettledAsync();
        await Act(request.RequestId, "assign", new AssignRequest(null)); // already taken up: not told again
        await Act(request.RequestId, "notes", new AddNote("Internal: call the customs office", false)); // not for the traveller
        await NoticesSettledAsync();
        await Act(request.RequestId, "notes", new AddNote("Please come to the FM5 desk in hall B with the car's papers", true));
        await NoticesSettledAsync();
        await Act(request.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, null));
        await NoticesSettledAsync();

        var notices = await NoticesAsync();
        notices.Select(n => (n.Channel, n.Kind)).ShouldBe([
            (Channel.Email, NoticeKind.RequestTakenUp), (Channel.Sms, NoticeKind.RequestTakenUp),
            (Channel.Email, NoticeKind.RequestAnswered), (Channel.Sms, NoticeKind.RequestAnswered),
            (Channel.Email, NoticeKind.RequestResolved), (Channel.Sms, NoticeKind.RequestResolved)
        ], ignoreOrder: true);
        var sms = await App.Sms.MessagesToAsync("+33611223344");
        sms.Count.ShouldBe(3);
        sms.ShouldAllBe(m => m.Text.Contains(request.Reference) && m.Segments <= 2);
        sms.Last().Text.ShouldContain("est résolue");
        var mail = await App.Mail.MessagesToAsync("nadia@example.org");
        mail.Count.ShouldBe(3);
        mail.ShouldAllBe(m => m.Subject.Contains(request.Reference));
    }

    [Fact]
    public async Task a_traveller_recorded_at_tanger_med_is_welcomed_once_with_the_foundations_line()
    {
        var (booking, sailing) = await BookedAndSailed();
        await GiveContactAsync(booking, Language.fr, email: "youssef@example.org");
        var desk = new CrossingAtPort(booking.BookingReference, null, null, null);

        await Record("MAPTM", PortStaff("MAPTM"), desk, 200);
        await Record("MAPTM", PortStaff("MAPTM"), desk, 200, action: "clearances");
        await ProjectionsCaughtUpAsync(); // the arrival is relayed from the event store
        await NoticesSettledAsync();

        var mail = (await App.Mail.MessagesToAsync("youssef@example.org")).ShouldHaveSingleItem();
        var text = await App.Mail.TextAsync(mail.Id);
        text.ShouldContain("Bienvenue à Tanger Med");
        text.ShouldContain("080 000 23 23");
        (await NoticesAsync()).ShouldHaveSingleItem().Kind.ShouldBe(NoticeKind.Welcome);
    }
}
