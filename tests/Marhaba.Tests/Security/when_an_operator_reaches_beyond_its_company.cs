using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marhaba.Staff;

namespace Marhaba.Tests.Security;

/// <summary>A booking system works for its own ferry company's sailings, whoever else sails the same route.</summary>
public class when_an_operator_reaches_beyond_its_company(AppFixture app) : Scenario(app)
{
    private string Frs => App.Tokens.Mint("frs-booking", [Roles.Operator], company: "FRS");
    private string Balearia => App.Tokens.Mint("balearia-booking", [Roles.Operator], company: "Baleària");

    private Task<IScenarioResult> As(string token, Action<Alba.Scenario> request, int status) => Host.Scenario(s =>
    {
        s.WithBearerToken(token);
        request(s);
        s.StatusCodeShouldBe(status);
    });

    /// <summary>A sailing of <paramref name="company"/> on the Algeciras–Tanger Med line, which four companies sail.</summary>
    private async Task<SailingSummary> SailingOf(string company, int hoursAhead) =>
        (await (await As(Planner, s => s.Post.Json(new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, company, $"{company} ship",
            App.Clock.GetUtcNow().AddHours(hoursAhead), null, 800, 600)).ToUrl("/api/sailings"), 201)).ReadAsJsonAsync<SailingSummary>())!;

    [Fact]
    public async Task an_operator_of_one_company_on_a_shared_route_is_refused_the_other_companys_sailings_and_crossings()
    {
        var frs = await SailingOf("FRS", 6);
        var laterFrs = await SailingOf("FRS", 30);
        var balearia = await SailingOf("Baleària", 8);

        var refused = await As(Balearia, s => s.Post.Json(new BookCrossing(frs.Id, 2, 0, null)).ToUrl("/api/crossings"), 403);
        (await refused.ReadAsTextAsync()).ShouldContain("sailing of FRS");
        var booked = (await (await As(Frs, s => s.Post.Json(new BookCrossing(frs.Id, 2, 0, null)).ToUrl("/api/crossings"), 201))
            .ReadAsJsonAsync<CrossingBookedResponse>())!;
        var url = $"/api/crossings/{booked.CrossingId}";
        var party = new SaveProfile([new PartyMember("Amine", "Alaoui", null, "MA", null, null)], null, null, null);
        await As(Balearia, s => s.Post.Json(new CancelCrossing(CancellationReason.TravellerRequest, null)).ToUrl(url + "/cancel"), 403);
        await As(Balearia, s => s.Post.Json(new RebookCrossing(balearia.Id, RebookingReason.TravellerRequest, null)).ToUrl(url + "/rebook"), 403);
        await As(Balearia, s => s.Put.Json(party).ToUrl(url + "/profile"), 403);
        // Nor does its own operator move it onto another company's ship.
        await As(Frs, s => s.Post.Json(new RebookCrossing(balearia.Id, RebookingReason.TravellerRequest, null)).ToUrl(url + "/rebook"), 403);
        // A token that names no company acts on no company's sailings.
        await As(App.Tokens.Mint("old-booking", [Roles.Operator], lines: ["ESALG-MAPTM"]), s => s.Post.Json(new BookCrossing(frs.Id, 2, 0, null)).ToUrl("/api/crossings"), 403);

        // Its own operator may, and the crossing was never touched by the other.
        await As(Frs, s => s.Put.Json(party).ToUrl(url + "/profile"), 204);
        await As(Frs, s => s.Post.Json(new RebookCrossing(laterFrs.Id, RebookingReason.TravellerRequest, null)).ToUrl(url + "/rebook"), 200);
        await As(Frs, s => s.Post.Json(new CancelCrossing(CancellationReason.ChangeOfPlans, null)).ToUrl(url + "/cancel"), 200);
        var crossing = (await (await As(Token(Roles.Admin), s => s.Get.Url(url), 200)).ReadAsJsonAsync<Crossing>())!;
        (crossing.SailingId, crossing.Status).ShouldBe((laterFrs.Id, CrossingStatus.Cancelled));
    }

    [Fact]
    public async Task an_operators_account_names_its_company_and_only_lines_that_company_sails()
    {
        async Task<IScenarioResult> Create(CreateStaffAccount account, int status) =>
            await As(Token(Roles.Admin), s => s.Post.Json(account).ToUrl("/api/staff/accounts"), status);
        string Login() => $"op-{Guid.NewGuid():N}"[..16];

        (await (await Create(new CreateStaffAccount(Login(), "No company", Roles.Operator, null, null), 400)).ReadAsTextAsync()).ShouldContain("\"field\":\"company\"");
        await Create(new CreateStaffAccount(Login(), "Unknown", Roles.Operator, null, null, "Titanic Lines"), 400);
        (await (await Create(new CreateStaffAccount(Login(), "Wrong line", Roles.Operator, null, ["ITGOA-MAPTM"], "FRS"), 400)).ReadAsTextAsync()).ShouldContain("FRS does not sail ITGOA-MAPTM");
        await Create(new CreateStaffAccount(Login(), "Port staff", Roles.PortStaff, ["MAPTM"], null, "FRS"), 400);
        var created = (await (await Create(new CreateStaffAccount(Login(), "FRS bookings", Roles.Operator, null, null, "frs"), 201)).ReadAsJsonAsync<StaffAccountCreated>())!;
        created.Company.ShouldBe("FRS");
    }
}
