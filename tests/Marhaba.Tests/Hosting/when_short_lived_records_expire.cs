using Marhaba.Crossings;
using Marhaba.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Hosting;

/// <summary>Stored answers to keyed requests and counts of wrong access codes are kept days, then removed; recent ones stay.</summary>
public class when_short_lived_records_expire(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task a_week_old_answer_and_a_day_old_count_of_wrong_codes_go_and_todays_stay()
    {
        var (old, _) = await BookedAndSailed();
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(old.BookingReference, null, "Lane 1", null), 200, key: "old-tap");
        await WrongCode(old.BookingReference);

        App.Clock.SetUtcNow(App.Clock.GetUtcNow() + Retention.KeepAnswers + TimeSpan.FromHours(1));
        var (recent, _) = await BookedAndSailed();
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(recent.BookingReference, null, "Lane 1", null), 200, key: "recent-tap");
        await WrongCode(recent.BookingReference);

        var (answers, failures) = await Host.Services.GetRequiredService<Retention>().PurgeAsync(CancellationToken.None);

        answers.ShouldBe(1);
        failures.ShouldBe(2, "the old client's count and the old booking's count of wrong codes for its day");
        (await AttemptsCountedAsync(old.BookingReference)).ShouldBe(0);
        (await AttemptsCountedAsync(recent.BookingReference)).ShouldBe(1);
        // The recent key still answers from its record; the old one is forgotten (the arrival itself stays recorded).
        var replay = await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(recent.BookingReference, null, "Lane 1", null), 200, key: "recent-tap");
        replay.Context.Response.Headers["Idempotent-Replayed"].ToString().ShouldBe("true");
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(old.BookingReference, null, "Lane 1", null), 409, key: "old-tap");
    }

    private async Task<long> AttemptsCountedAsync(string reference)
    {
        await using var conn = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand($"select count(*) from {TravellerAccess.AttemptsTable} where reference = $1", conn) { Parameters = { new() { Value = reference } } };
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private Task WrongCode(string reference) => Host.Scenario(s =>
    {
        s.Post.Json(new { bookingReference = reference, accessCode = "AAAAAAAAAA" }).ToUrl("/api/traveller/status");
        s.StatusCodeShouldBe(404);
    });
}
