using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Marhaba.Tests.Privacy;

public class when_someone_guesses_access_codes(AppFixture app) : Scenario(app)
{
    private Task<IScenarioResult> Status(string reference, string code, int status, IAlbaHost? host = null) =>
        (host ?? Host).Scenario(s =>
        {
            s.Post.Json(new TravellerStatusRequest(reference, code)).ToUrl("/api/traveller/status");
            s.StatusCodeShouldBe(status);
        });

    [Fact]
    public async Task a_reference_is_locked_after_five_wrong_codes_even_for_the_right_one_and_others_are_not()
    {
        var (target, _) = await Booked();
        var other = await Book((await ScheduleSailing()).Id);
        for (var i = 0; i < TravellerAccess.MaxFailures; i++) await Status(target.BookingReference, "WRONGCODE" + i, 404);

        var locked = await Status(target.BookingReference, target.AccessCode, 429);
        (await locked.ReadAsTextAsync()).ShouldContain("Too many wrong access codes");
        await Status(other.BookingReference, other.AccessCode, 200);

        App.Clock.SetUtcNow(App.Clock.GetUtcNow() + TravellerAccess.Lockout + TimeSpan.FromMinutes(1));
        await Status(target.BookingReference, target.AccessCode, 200);
    }

    [Fact]
    public async Task one_client_asking_too_often_is_slowed_down_with_a_clear_answer()
    {
        await using var strict = await App.StartNodeAsync(("Travellers:RequestsPerMinutePerClient", "3"));
        for (var i = 0; i < 3; i++) await Status("MRH-AAAAAAAAA" + i, "AAAAAAAAAA", 404, strict);
        var slowed = await Status("MRH-AAAAAAAAAX", "AAAAAAAAAA", 429, strict);
        slowed.Context.Response.Headers.RetryAfter.ToString().ShouldBe("60");
        (await slowed.ReadAsTextAsync()).ShouldContain("wait a minute");
    }

    [Fact]
    public async Task answers_carry_security_headers()
    {
        var result = await Host.Scenario(s => s.Get.Url("/api/ports"));
        var headers = result.Context.Response.Headers;
        headers.XContentTypeOptions.ToString().ShouldBe("nosniff");
        headers.XFrameOptions.ToString().ShouldBe("DENY");
        headers.ContentSecurityPolicy.ToString().ShouldContain("default-src 'none'");
        headers.CacheControl.ToString().ShouldBe("no-store");
    }

    [Fact]
    public void codes_have_over_forty_bits_and_no_look_alike_characters()
    {
        var codes = Enumerable.Range(0, 2000).Select(_ => Codes.NewAccessCode()).ToList();
        var alphabet = codes.SelectMany(c => c).Distinct().ToList();
        (codes[0].Length * Math.Log2(alphabet.Count)).ShouldBeGreaterThan(40);
        alphabet.ShouldNotContain(c => "0O1IL5S2Z8BUV".Contains(c));
        codes.Distinct().Count().ShouldBe(codes.Count);
    }
}
