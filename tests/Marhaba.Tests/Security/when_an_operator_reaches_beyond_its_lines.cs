using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Privacy;

namespace Marhaba.Tests.Security;

/// <summary>A booking system works for the lines named in its token, and no other.</summary>
public class when_an_operator_reaches_beyond_its_lines(AppFixture app) : Scenario(app)
{
    private string Gnv => App.Tokens.Mint("gnv-booking", [Roles.Operator], lines: ["ITGOA-MAPTM", "FRSET-MANDR"]);
    private string Frs => App.Tokens.Mint("frs-booking", [Roles.Operator], lines: ["ESALG-MAPTM"]);

    private Task<IScenarioResult> As(string token, Action<Alba.Scenario> request, int status) => Host.Scenario(s =>
    {
        s.WithBearerToken(token);
        request(s);
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task an_operator_of_one_line_cannot_book_cancel_rebook_or_keep_details_on_another()
    {
        var algeciras = await ScheduleSailing("ESALG-MAPTM");
        var laterAlgeciras = await ScheduleSailing("ESALG-MAPTM", departure: App.Clock.GetUtcNow().AddDays(1));
        var refused = await As(Gnv, s => s.Post.Json(new BookCrossing(algeciras.Id, 2, 0, null)).ToUrl("/api/crossings"), 403);
        (await refused.ReadAsTextAsync()).ShouldContain("not for ESALG-MAPTM");

        var booked = (await (await As(Frs, s => s.Post.Json(new BookCrossing(algeciras.Id, 2, 0, null)).ToUrl("/api/crossings"), 201))
            .ReadAsJsonAsync<CrossingBookedResponse>())!;
        var url = $"/api/crossings/{booked.CrossingId}";
        await As(Gnv, s => s.Post.Json(new CancelCrossing(CancellationReason.TravellerRequest, null)).ToUrl(url + "/cancel"), 403);
        await As(Gnv, s => s.Post.Json(new RebookCrossing(laterAlgeciras.Id, RebookingReason.TravellerRequest, null)).ToUrl(url + "/rebook"), 403);
        await As(Gnv, s => s.Put.Json(new SaveProfile([new PartyMember("Amine", "Alaoui", null, "MA", null, null)], null, null, null)).ToUrl(url + "/profile"), 403);

        // Its own operator may, and the crossing was never touched by the other.
        await As(Frs, s => s.Put.Json(new SaveProfile([new PartyMember("Amine", "Alaoui", null, "MA", null, null)], null, null, null)).ToUrl(url + "/profile"), 204);
        await As(Frs, s => s.Post.Json(new RebookCrossing(laterAlgeciras.Id, RebookingReason.TravellerRequest, null)).ToUrl(url + "/rebook"), 200);
        await As(Frs, s => s.Post.Json(new CancelCrossing(CancellationReason.ChangeOfPlans, null)).ToUrl(url + "/cancel"), 200);
    }
}
