using System.Net;
using Alba;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Npgsql;

namespace Marhaba.Tests.Privacy;

/// <summary>Answers kept for an Idempotency-Key's retries: sealed, and never handed to another traveller.</summary>
public class when_answers_are_kept_for_retries(AppFixture app) : Scenario(app)
{
    private async Task<List<string>> KeptBodies()
    {
        await using var conn = new NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"select body from {IdempotencyLog.Table}", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var bodies = new List<string>();
        while (await reader.ReadAsync()) bodies.Add(reader.GetString(0));
        return bodies;
    }

    [Fact]
    public async Task a_booking_kept_for_its_retry_holds_no_readable_access_code_and_the_retry_still_gets_it()
    {
        var sailing = await ScheduleSailing();
        var key = Guid.NewGuid().ToString();
        async Task<IScenarioResult> BookOnce() => await Host.Scenario(s =>
        {
            s.WithBearerToken(Operator);
            s.WithRequestHeader(Idempotency.Header, key);
            s.Post.Json(new BookCrossing(sailing.Id, 2, 1, null)).ToUrl("/api/crossings");
            s.StatusCodeShouldBe(201);
        });

        var first = (await (await BookOnce()).ReadAsJsonAsync<CrossingBookedResponse>())!;
        var kept = (await KeptBodies()).ShouldHaveSingleItem();
        kept.ShouldNotContain(first.AccessCode);
        kept.ShouldNotContain(first.BookingReference);

        var retry = await BookOnce();
        retry.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBe("true");
        (await retry.ReadAsJsonAsync<CrossingBookedResponse>()).ShouldBe(first);
    }

    [Fact]
    public async Task two_travellers_sending_the_same_key_each_get_their_own_request()
    {
        async Task<AssistanceRequestOpenedResponse> Open(string address, string text) =>
            (await (await Host.Scenario(s =>
            {
                s.ConfigureHttpContext(c => c.Connection.RemoteIpAddress = IPAddress.Parse(address));
                s.WithRequestHeader(Idempotency.Header, "1");
                s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "MAPTM", text, Language.fr, null, null))
                    .ToUrl("/api/traveller/assistance");
                s.StatusCodeShouldBe(201);
            })).ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;

        // A naive app sends "1" for everyone: the same words from another phone are another traveller's request,
        // with its own reference and code; other words from the same phone too.
        var first = await Open("10.0.0.1", "Où est le bus ?");
        var elsewhere = await Open("10.0.0.2", "Où est le bus ?");
        var otherWords = await Open("10.0.0.1", "Où sont les toilettes ?");
        new[] { first.Reference, elsewhere.Reference, otherWords.Reference }.Distinct().Count().ShouldBe(3);
        elsewhere.AccessCode.ShouldNotBe(first.AccessCode);

        // The same phone retrying the same request gets its own answer again.
        (await Open("10.0.0.1", "Où est le bus ?")).ShouldBe(first);
    }

    [Fact]
    public async Task a_copy_of_the_kept_answers_is_no_oracle_for_access_codes()
    {
        var (booking, _) = await Booked();
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            bookingReference = booking.BookingReference, accessCode = booking.AccessCode, category = "Information", place = "ITGOA", description = "Which gate?"
        });
        var key = Guid.NewGuid().ToString();
        await Host.Scenario(s =>
        {
            s.WithRequestHeader(Idempotency.Header, key);
            s.Post.Text(body).ToUrl("/api/traveller/assistance");
            s.ConfigureHttpContext(c => c.Request.ContentType = "application/json");
            s.StatusCodeShouldBe(201);
        });

        await using var conn = new NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"select id, fingerprint from {IdempotencyLog.Table} order by started_at desc limit 1", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        var (id, fingerprint) = (reader.GetString(0), reader.GetString(1));

        // What someone holding the table would try: a plain hash of the body, as sent or in a canonical form, guessing codes.
        static string Sha(string text) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        var canonical = new System.Text.Json.Nodes.JsonObject(System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject()
            .Select(p => KeyValuePair.Create(p.Key.ToLowerInvariant(), p.Value?.DeepClone())).OrderBy(p => p.Key, StringComparer.Ordinal)).ToJsonString();
        new[] { Sha(body), Sha(canonical), Sha("json " + canonical) }.ShouldNotContain(fingerprint);
        fingerprint.Length.ShouldBe(64);
        id.ShouldNotContain(key);
    }

    [Fact]
    public async Task two_officers_sending_the_same_key_each_get_their_own_answer()
    {
        var sailing = await ScheduleSailing();
        var first = await Book(sailing.Id);
        var second = await Book(sailing.Id);
        ShipLeft(sailing);
        string amina = App.Tokens.Mint("amina", [Roles.PortStaff], ["MAPTM"]), karim = App.Tokens.Mint("karim", [Roles.PortStaff], ["MAPTM"]);

        // Both tablets run the same app, whose keys start at 1 after each restart.
        var aminas = await Record("MAPTM", amina, new CrossingAtPort(first.BookingReference, null, "Lane 1", null), 200, key: "1");
        var karims = await Record("MAPTM", karim, new CrossingAtPort(second.BookingReference, null, "Lane 2", null), 200, key: "1");
        karims.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBeEmpty("another officer's key is not this one's");
        (await karims.ReadAsTextAsync()).ShouldContain(second.BookingReference);
        // Each one's retry gets their own answer again.
        var retry = await Record("MAPTM", karim, new CrossingAtPort(second.BookingReference, null, "Lane 2", null), 200, key: "1");
        retry.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBe("true");
        (await retry.ReadAsTextAsync()).ShouldBe(await karims.ReadAsTextAsync());
        (await aminas.ReadAsTextAsync()).ShouldContain(first.BookingReference);
    }
}
