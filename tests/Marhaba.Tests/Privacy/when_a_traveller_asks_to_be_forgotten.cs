using Alba;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marten;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Privacy;

public class when_a_traveller_asks_to_be_forgotten(AppFixture app) : Scenario(app)
{
    // What people wrote about why the crossing moved is personal too (health, family).
    private static readonly string[] Personal = ["Benjelloun", "Yasmina", "ZX4471209", "+39 347 555 0199", "+393475550199", "yasmina.b@example.org", "GE872KT", "illness", "family emergency"];

    private async Task<CrossingBookedResponse> FamilyWithDetails()
    {
        var (booking, _) = await BookedAndSailed(new VehicleDetails(VehicleKind.Car, "GE872KT", "I"));
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.Put.Json(new SaveProfile([
                new PartyMember("Yasmina", "Benjelloun", new DateOnly(1984, 3, 2), "MA", DocumentType.Passport, "ZX4471209"),
                new PartyMember("Adam", "Benjelloun", new DateOnly(2015, 7, 9), "IT", DocumentType.NationalIdCard, "CA11223344")
            ], "+39 347 555 0199", "yasmina.b@example.org", Language.it, NotifyByEmail: true)).ToUrl($"/api/crossings/{booking.CrossingId}/profile");
            s.StatusCodeShouldBe(204);
        });
        return booking;
    }

    [Fact]
    public async Task only_staff_where_the_crossing_goes_read_the_details_with_a_reason_and_every_read_is_logged()
    {
        var booking = await FamilyWithDetails();
        var url = $"/api/crossings/{booking.CrossingId}/profile";

        var read = await Host.Scenario(s => { s.WithBearerToken(PortStaff("MAPTM")); s.Get.Url(url + "?reason=identity check at lane 4"); });
        (await read.ReadAsJsonAsync<TravellerProfile>())!.Party[0].DocumentNumber.ShouldBe("ZX4471209");

        await Host.Scenario(s => { s.WithBearerToken(PortStaff("MAPTM")); s.Get.Url(url); s.StatusCodeShouldBe(400); });
        await Host.Scenario(s => { s.WithBearerToken(PortStaff("MANDR")); s.Get.Url(url + "?reason=curious"); s.StatusCodeShouldBe(403); });
        await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url(url + "?reason=curious"); s.StatusCodeShouldBe(403); });
        await Host.Scenario(s => { s.Get.Url(url + "?reason=curious"); s.StatusCodeShouldBe(401); });

        var reads = await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Get.Url(url + "/reads"); });
        var log = await reads.ReadAsTextAsync();
        log.ShouldContain("identity check at lane 4");
        log.ShouldContain("test-port-staff-MAPTM");
        foreach (var value in Personal) log.ShouldNotContain(value);
        (await reads.ReadAsJsonAsync<List<ProfileRead>>())!.Count.ShouldBe(1);
    }

    [Fact]
    public async Task an_agent_reads_the_details_only_for_an_open_request_assigned_to_them()
    {
        var booking = await FamilyWithDetails();
        var url = $"/api/crossings/{booking.CrossingId}/profile?reason=calling the family back";
        string genova = Token(Roles.Agent, "ITGOA"), colleague = App.Tokens.Mint("agent-colleague", [Roles.Agent], ["ITGOA"]);
        // An agent at the crossing's ports, with no request of it: refused.
        await Host.Scenario(s => { s.WithBearerToken(genova); s.Get.Url(url); s.StatusCodeShouldBe(403); });

        // The traveller asks for help at Genova: the request is on Genova's board, but nobody holds it yet.
        var opened = (await (await Host.Scenario(s =>
        {
            s.Post.Json(new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode, AssistanceCategory.SocialOrFamily, null, "ITGOA",
                "Need help with the children", Language.it, null, null)).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        })).ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;
        await Host.Scenario(s => { s.WithBearerToken(genova); s.Get.Url(url); s.StatusCodeShouldBe(403); });

        // Assigned to one agent: that agent reads, the colleague at the same place still not.
        await Host.Scenario(s => { s.WithBearerToken(genova); s.Post.Json(new AssignRequest(null)).ToUrl($"/api/assistance/{opened.RequestId}/assign"); s.StatusCodeShouldBe(200); });
        await Host.Scenario(s => { s.WithBearerToken(genova); s.Get.Url(url); s.StatusCodeShouldBe(200); });
        await Host.Scenario(s => { s.WithBearerToken(colleague); s.Get.Url(url); s.StatusCodeShouldBe(403); });

        // The read is in the traveller's data-access log, with the request it was for.
        var reads = await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Get.Url($"/api/crossings/{booking.CrossingId}/profile/reads"); });
        var read = (await reads.ReadAsJsonAsync<List<ProfileRead>>())!.ShouldHaveSingleItem();
        (read.ReadBy, read.ForRequest, read.Reason).ShouldBe(("test-agent-ITGOA", (Guid?)opened.RequestId, "calling the family back"));

        // Resolved: the request is closed, and so are the details.
        await Host.Scenario(s => { s.WithBearerToken(genova); s.Post.Json(new ResolveRequest(AssistanceOutcome.Solved, "Family met")).ToUrl($"/api/assistance/{opened.RequestId}/resolve"); s.StatusCodeShouldBe(200); });
        await Host.Scenario(s => { s.WithBearerToken(genova); s.Get.Url(url); s.StatusCodeShouldBe(403); });
    }

    [Fact]
    public async Task after_erasure_no_table_of_the_database_holds_any_erased_value()
    {
        var booking = await FamilyWithDetails();
        // Moved twice at the family's request, the operator noting why in their own words.
        var next = await ScheduleSailing(departure: App.Clock.GetUtcNow().AddHours(2));
        var after = await ScheduleSailing(departure: App.Clock.GetUtcNow().AddHours(5));
        foreach (var (to, note) in new[] { (next, "illness of the father"), (after, "family emergency in Fes") })
            await Host.Scenario(s =>
            {
                s.WithBearerToken(Operator);
                s.Post.Json(new RebookCrossing(to.Id, RebookingReason.TravellerRequest, note)).ToUrl($"/api/crossings/{booking.CrossingId}/rebook");
                s.StatusCodeShouldBe(200);
            });
        await NoticesSettledAsync(); // the family was told of its moves, by e-mail
        ShipLeft(after);
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(null, "GE872KT", "Lane 4", null), 200);
        await Host.Scenario(s =>
        {
            s.Post.Json(new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode, AssistanceCategory.LostDocuments, null, null,
                "Yasmina Benjelloun lost passport ZX4471209, call +39 347 555 0199", Language.it, ContactChannel.Phone,
                new ContactDetails("Yasmina Benjelloun", "+39 347 555 0199", "yasmina.b@example.org"))).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        });
        // An agent answers on the traveller's page, a port officer reads the details with a reason that names the person,
        // and the traveller's app keeps its lookups for a retry.
        await using (var query = App.Store.QuerySession())
        {
            var request = await query.Query<AssistanceRequest>().SingleAsync(r => r.CrossingId == booking.CrossingId);
            await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Post.Json(new AddNote("Yasmina: the consulate opens at 9", true)).ToUrl($"/api/assistance/{request.Id}/notes"); s.StatusCodeShouldBe(200); });
        }
        await Host.Scenario(s => { s.WithBearerToken(PortStaff("MAPTM")); s.Get.Url($"/api/crossings/{booking.CrossingId}/profile?reason=Yasmina at lane 4"); s.StatusCodeShouldBe(200); });
        await KeptLookupsAsync(booking.BookingReference, booking.AccessCode);
        var before = await ScanAsync();
        before.ShouldContain(f => f.StartsWith("mt_doc_notice"), "the message sent to the family is scanned too");
        before.ShouldContain(f => f.StartsWith("mt_doc_profileread"), "the scan must find the values before erasure, or it proves nothing");
        before.ShouldContain(f => f.StartsWith("kept answer"));

        await Host.Scenario(s =>
        {
            s.WithBearerToken(Token(Roles.Admin));
            s.Post.Json(new EraseTravellerData(ErasureReason.TravellerRequest)).ToUrl($"/api/crossings/{booking.CrossingId}/erasure");
            s.StatusCodeShouldBe(204);
        });

        (await ScanAsync()).ShouldBeEmpty();
        var crossing = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/crossings/{booking.CrossingId}"); });
        (await crossing.ReadAsJsonAsync<Crossing>())!.Erased.ShouldBeTrue();
        await Host.Scenario(s => { s.WithBearerToken(PortStaff("MAPTM")); s.Get.Url($"/api/crossings/{booking.CrossingId}/profile?reason=check"); s.StatusCodeShouldBe(410); });
        // The code's keyed hash went with the data: reference and code open nothing any more.
        await Host.Scenario(s => { s.Post.Json(new TravellerStatusRequest(booking.BookingReference, booking.AccessCode)).ToUrl("/api/traveller/status"); s.StatusCodeShouldBe(404); });
        await using var session = App.Store.QuerySession();
        (await session.LoadAsync<AccessKey>(booking.BookingReference)).ShouldBeNull();
    }

    [Fact]
    public async Task a_season_closed_long_enough_ago_is_erased_by_itself()
    {
        var booking = await FamilyWithDetails();
        var walkUp = await Host.Scenario(s =>
        {
            s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "MAPTM", "Where is the bus?", Language.fr, null, null)).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        });
        var request = (await walkUp.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;
        var options = new PrivacyOptions { EraseDaysAfterSeason = 90 };
        var sailing = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/crossings/{booking.CrossingId}"); });
        var departure = (await sailing.ReadAsJsonAsync<Crossing>())!.DepartureAt;

        // Not yet: the season of the departure has not closed 90 days ago.
        (await SeasonErasure.EraseDueAsync(App.Store, Host.Services.GetRequiredService<IdempotencyLog>(), options, departure.AddDays(1), CancellationToken.None)).ShouldBe(0);
        var closed = new DateTimeOffset(departure.Month > 9 || (departure.Month == 9 && departure.Day >= 16) ? departure.Year + 1 : departure.Year, 9, 16, 0, 0, 0, TimeSpan.Zero);
        // The crossing, and every request opened without a booking before the season closed (this one among them).
        (await SeasonErasure.EraseDueAsync(App.Store, Host.Services.GetRequiredService<IdempotencyLog>(), options, closed.AddDays(91), CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(2);

        await using var session = App.Store.QuerySession();
        (await session.LoadAsync<TravellerProfile>(booking.CrossingId)).ShouldBeNull();
        (await session.LoadAsync<Crossing>(booking.CrossingId))!.Erased.ShouldBeTrue();
        (await session.LoadAsync<AccessKey>(booking.BookingReference)).ShouldBeNull("the code's keyed hash goes with the season");
        (await session.LoadAsync<AccessKey>(request.Reference)).ShouldBeNull("and so does a walk-up request's");
        (await session.LoadAsync<AssistanceText>(request.RequestId)).ShouldBeNull("with what it said");
        (await session.LoadAsync<AssistanceRequest>(request.RequestId))!.Erased.ShouldBeTrue();
    }

    [Fact]
    public async Task a_request_without_a_booking_is_erased_with_its_texts_contact_code_and_kept_answers()
    {
        var opened = (await (await Host.Scenario(s =>
        {
            s.WithRequestHeader(Idempotency.Header, Guid.NewGuid().ToString());
            s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.LostDocuments, null, "MAPTM",
                "Yasmina Benjelloun lost passport ZX4471209", Language.it, ContactChannel.Phone,
                new ContactDetails("Yasmina Benjelloun", "+39 347 555 0199", "yasmina.b@example.org"))).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        })).ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Token(Roles.Agent, "MAPTM"));
            s.WithRequestHeader(Idempotency.Header, Guid.NewGuid().ToString());
            s.Post.Json(new AddNote("Called Yasmina back on +39 347 555 0199", true)).ToUrl($"/api/assistance/{opened.RequestId}/notes");
            s.StatusCodeShouldBe(200);
        });
        await KeptLookupsAsync(opened.Reference, opened.AccessCode!);
        (await ScanAsync()).ShouldContain(f => f.StartsWith("kept answer"), "the scan must find the values before erasure, or it proves nothing");

        await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Agent, "MAPTM")); s.Post.Json(new EraseTravellerData(null)).ToUrl($"/api/assistance/{opened.RequestId}/erasure"); s.StatusCodeShouldBe(403); });
        await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Post.Json(new EraseTravellerData(null)).ToUrl($"/api/assistance/{opened.RequestId}/erasure"); s.StatusCodeShouldBe(204); });
        await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Post.Json(new EraseTravellerData(null)).ToUrl($"/api/assistance/{Guid.NewGuid()}/erasure"); s.StatusCodeShouldBe(404); });

        (await ScanAsync()).ShouldBeEmpty();
        await Host.Scenario(s => { s.Post.Json(new TravellerKey(opened.Reference, opened.AccessCode!, null)).ToUrl("/api/traveller/requests"); s.StatusCodeShouldBe(404); });
        (await Events(opened.RequestId)).Last().ShouldBeOfType<AssistanceDataErased>();
    }

    private async Task<IReadOnlyList<object>> Events(Guid stream)
    {
        await using var session = App.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(stream)).Select(e => e.Data).ToList();
    }

    /// <summary>Every table of the platform's schema, every row as text: which erased values remain.</summary>
    private async Task<List<string>> ScanAsync()
    {
        var tables = await App.TablesAsync();
        tables.Count.ShouldBeGreaterThan(10);
        await using var conn = new NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();

        var found = new List<string>();
        foreach (var table in tables)
        foreach (var value in Personal)
        {
            await using var cmd = new NpgsqlCommand($"select count(*) from marhaba.\"{table}\" t where t::text ilike @v", conn);
            cmd.Parameters.AddWithValue("v", $"%{value}%");
            if ((long)(await cmd.ExecuteScalarAsync())! > 0) found.Add($"{table}: {value}");
        }
        // Answers kept for retries are sealed: opened with the server's key, as the server would replay them.
        var log = Host.Services.GetRequiredService<IdempotencyLog>();
        var ids = new List<string>();
        await using (var cmd = new NpgsqlCommand($"select id from {IdempotencyLog.Table}", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        foreach (var id in ids)
        {
            var kept = (await log.LoadAsync(id, CancellationToken.None))!;
            found.AddRange(Personal.Where(v => kept.Body.Contains(v, StringComparison.OrdinalIgnoreCase)).Select(v => $"kept answer {id[..8]}: {v}"));
        }
        return found;
    }

    /// <summary>A traveller's app asks for the status and the requests with an Idempotency-Key: both answers are kept for a retry.</summary>
    private async Task KeptLookupsAsync(string reference, string code)
    {
        var lookups = new List<(string Url, object Body)> { ("/api/traveller/requests", new TravellerKey(reference, code, Language.it)) };
        if (reference.StartsWith("MRH")) lookups.Add(("/api/traveller/status", new TravellerStatusRequest(reference, code)));
        foreach (var (url, body) in lookups)
            await Host.Scenario(s =>
            {
                s.WithRequestHeader(Idempotency.Header, Guid.NewGuid().ToString());
                s.Post.Json(body).ToUrl(url);
                s.StatusCodeShouldBe(200);
            });
    }
}
