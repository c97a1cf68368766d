using System.Net;
using Alba;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Privacy;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Assistance;

/// <summary>Requests for help go where agents will see them, in the shapes the API defines, and no booking floods the board.</summary>
public class when_assistance_is_flooded_or_steered(AppFixture app) : Scenario(app)
{
    private Task<IScenarioResult> Send(string url, object body, int status, string? token = null) => Host.Scenario(s =>
    {
        if (token is not null) s.WithBearerToken(token);
        s.Post.Json(body).ToUrl(url);
        s.StatusCodeShouldBe(status);
    });

    private async Task<int> RequestsNow()
    {
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<AssistanceRequest>().CountAsync();
    }

    [Fact]
    public async Task an_undefined_urgency_or_category_is_refused_naming_the_field_and_opens_nothing()
    {
        var before = await RequestsNow();
        foreach (var (field, value) in new (string, object)[] { ("urgency", "Soon"), ("urgency", 7), ("urgency", "7"), ("urgency", ""), ("category", "Alien"), ("category", 2), ("language", "de") })
        {
            var body = new Dictionary<string, object?>
            {
                ["category"] = "Medical", ["urgency"] = "High", ["place"] = "MAPTM", ["description"] = "Chest pain", ["language"] = "fr", [field] = value
            };
            var problem = await (await Send("/api/traveller/assistance", body, 422)).ReadAsTextAsync();
            problem.ShouldContain($"\"field\":\"{field}\"", customMessage: $"{field}: {value}");
        }
        (await RequestsNow()).ShouldBe(before);

        // Everywhere in the API: a vehicle's kind when booking, an erasure's reason.
        var sailing = await ScheduleSailing();
        (await (await Send("/api/crossings", new { sailingId = sailing.Id, adults = 2, children = 0, vehicle = new { kind = "Tractor", plate = "AB-123-CD" } }, 422, Operator))
            .ReadAsTextAsync()).ShouldContain("\"field\":\"vehicle.kind\"");
        var booking = await Book(sailing.Id);
        (await (await Send($"/api/crossings/{booking.CrossingId}/erasure", new { why = 99 }, 422, Token(Roles.Admin))).ReadAsTextAsync())
            .ShouldContain("TravellerRequest");
    }

    [Fact]
    public async Task a_request_must_name_a_real_port_or_an_existing_sailing()
    {
        var before = await RequestsNow();
        await Send("/api/traveller/assistance", new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "NOWHERE", "Where?", Language.fr, null, null), 400);
        var problem = await (await Send("/api/traveller/assistance",
            new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, Places.Aboard(Guid.NewGuid()), "Where?", Language.fr, null, null), 422)).ReadAsTextAsync();
        problem.ShouldContain("\"field\":\"place\"");
        await Send("/api/assistance", new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, Places.Aboard(Guid.NewGuid()), "Phone call", Language.fr, null, null),
            422, Token(Roles.Agent, "MAPTM"));
        (await RequestsNow()).ShouldBe(before);
    }

    [Fact]
    public async Task a_request_opened_aboard_is_on_the_board_of_the_port_where_the_ship_arrives()
    {
        var (booking, sailing) = await BookedAndSailed(route: "ITGOA-MAPTM");
        var aboard = (await (await Send("/api/traveller/assistance", new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode,
            AssistanceCategory.Medical, Urgency.High, Places.Aboard(sailing.Id), "My daughter is seasick and has a fever", Language.ar, null, null), 201))
            .ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;

        async Task<AssistanceBoardView> Board(string port) =>
            (await (await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Agent, port)); s.Get.Url("/api/assistance/board"); })).ReadAsJsonAsync<AssistanceBoardView>())!;
        (await Board("MAPTM")).Open.ShouldContain(l => l.RequestId == aboard.RequestId);
        (await Board("ITGOA")).Open.ShouldNotContain(l => l.RequestId == aboard.RequestId);
        await Send($"/api/assistance/{aboard.RequestId}/acknowledge", new { }, 403, Token(Roles.Agent, "ITGOA"));
        await Send($"/api/assistance/{aboard.RequestId}/acknowledge", new { }, 200, Token(Roles.Agent, "MAPTM"));

        // Staff open one aboard for a ship arriving at their port; not for another port's ship.
        await Send("/api/assistance", new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, Places.Aboard(sailing.Id), "Radio call from the ship", Language.fr, null, null),
            201, Token(Roles.Agent, "MAPTM"));
        await Send("/api/assistance", new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, Places.Aboard(sailing.Id), "Radio call from the ship", Language.fr, null, null),
            403, Token(Roles.Agent, "MANDR"));
    }

    [Fact]
    public async Task one_booking_opens_a_bounded_number_of_requests_a_day_from_whatever_address()
    {
        await using var node = await App.StartNodeAsync(("Travellers:RequestsPerBookingPerDay", "3"), ("Travellers:RequestsPerMinutePerClient", "1000"));
        var (booking, _) = await Booked();
        var (other, _) = await Booked();
        Task<IScenarioResult> Ask(CrossingBookedResponse b, string address, int status) => node.Scenario(s =>
        {
            s.ConfigureHttpContext(c => c.Connection.RemoteIpAddress = IPAddress.Parse(address));
            s.Post.Json(new OpenAssistanceRequest(b.BookingReference, b.AccessCode, AssistanceCategory.Information, null, "ITGOA", "Where do we board?", Language.fr, null, null))
                .ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(status);
        });

        await Ask(booking, "10.1.0.1", 201);
        await Ask(booking, "10.1.0.2", 201);
        await Ask(booking, "10.1.0.3", 201);
        var refused = await Ask(booking, "10.1.0.4", 429);
        int.Parse(refused.Context.Response.Headers.RetryAfter.ToString()).ShouldBeInRange(1, 86_400);
        (await refused.ReadAsTextAsync()).ShouldContain(booking.BookingReference);
        await Ask(booking, "10.1.0.1", 429);
        // Another booking is heard; the same booking the next day too.
        await Ask(other, "10.1.0.1", 201);
        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddDays(1));
        await Ask(booking, "10.1.0.1", 201);
    }
}
