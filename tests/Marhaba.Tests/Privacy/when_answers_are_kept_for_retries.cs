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
            s.WithRequestHeader(IdempotencyMiddleware.Header, key);
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
                s.WithRequestHeader(IdempotencyMiddleware.Header, "1");
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
}
