using System.Net;
using Alba;
using Marhaba.Crossings;

namespace Marhaba.Tests.Privacy;

public class when_someone_guesses_access_codes(AppFixture app) : Scenario(app)
{
    private static readonly IPAddress Guesser = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress TravellersPhone = IPAddress.Parse("198.51.100.20");

    private Task<IScenarioResult> Status(string reference, string code, int status, IAlbaHost? host = null, IPAddress? from = null) =>
        (host ?? Host).Scenario(s =>
        {
            s.ConfigureHttpContext(c => c.Connection.RemoteIpAddress = from ?? Guesser);
            s.Post.Json(new TravellerStatusRequest(reference, code)).ToUrl("/api/traveller/status");
            s.StatusCodeShouldBe(status);
        });

    [Fact]
    public async Task the_guesser_is_locked_out_after_five_wrong_codes_while_the_traveller_on_their_own_phone_gets_in()
    {
        var (target, _) = await Booked();
        var other = await Book((await ScheduleSailing()).Id);
        for (var i = 0; i < TravellerAccess.MaxAttempts; i++) await Status(target.BookingReference, "WRONGCODE" + i, 404);

        // Even the right code is no longer checked from the guessing connection.
        var locked = await Status(target.BookingReference, target.AccessCode, 429);
        (await locked.ReadAsTextAsync()).ShouldContain("Too many wrong access codes");
        // The traveller, on their own phone, is not locked out by a stranger's guesses; other references are untouched.
        await Status(target.BookingReference, target.AccessCode, 200, from: TravellersPhone);
        await Status(other.BookingReference, other.AccessCode, 200);

        App.Clock.SetUtcNow(App.Clock.GetUtcNow() + TravellerAccess.Lockout + TimeSpan.FromMinutes(1));
        await Status(target.BookingReference, target.AccessCode, 200);
    }

    [Fact]
    public async Task a_guesser_that_comes_back_is_locked_out_longer_each_time()
    {
        var (target, _) = await Booked();
        var lockouts = new List<TimeSpan>();
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < TravellerAccess.MaxAttempts; i++) await Status(target.BookingReference, $"WRONG{round}{i}", 404);
            var problem = System.Text.Json.JsonDocument.Parse(await (await Status(target.BookingReference, target.AccessCode, 429)).ReadAsTextAsync());
            var until = problem.RootElement.GetProperty(TravellerAccess.LockedUntil).GetDateTimeOffset();
            lockouts.Add(until - App.Clock.GetUtcNow());
            App.Clock.SetUtcNow(until.AddMinutes(1));
        }
        lockouts.Select(l => (int)Math.Round(l.TotalMinutes)).ShouldBe([15, 30, 60, 120]);
        // The traveller on their own phone was never slowed down.
        await Status(target.BookingReference, target.AccessCode, 200, from: TravellersPhone);
    }

    [Fact]
    public async Task many_addresses_guessing_one_booking_are_capped_for_the_day_yet_the_traveller_gets_in()
    {
        await using var node = await App.StartNodeAsync(("Travellers:WrongCodesPerBookingPerDay", "6"), ("Travellers:RequestsPerMinutePerClient", "1000000"));
        var (target, _) = await Booked();
        var other = await Book((await ScheduleSailing()).Id);
        IPAddress Address(int i) => IPAddress.Parse($"203.0.113.{100 + i}");

        // Three addresses, two wrong codes each: the booking's six wrong codes for the day are spent.
        for (var a = 0; a < 3; a++)
        for (var i = 0; i < 2; i++)
            await Status(target.BookingReference, $"WRONG{a}{i}", 404, node, Address(a));
        // An address that was wrong already is not heard again today, though it has not had its five.
        (await (await Status(target.BookingReference, "WRONGAGAIN", 429, node, Address(0))).ReadAsTextAsync()).ShouldContain("Too many wrong access codes");
        await Status(target.BookingReference, target.AccessCode, 429, node, Address(1));
        // A new address has its first code checked, and only that one.
        await Status(target.BookingReference, "WRONGNEW", 404, node, Address(7));
        await Status(target.BookingReference, "WRONGNEW2", 429, node, Address(7));
        // The traveller, with no wrong code of their own, gets in; another booking is untouched.
        await Status(target.BookingReference, target.AccessCode, 200, node, TravellersPhone);
        await Status(other.BookingReference, other.AccessCode, 200, node, Address(0));

        // The next day the booking is heard again.
        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddDays(1));
        await Status(target.BookingReference, target.AccessCode, 200, node, Address(0));
    }

    /// <summary>A traveller's status asked through the ports' load balancer, for the client it names.</summary>
    private Task<IScenarioResult> ThroughProxy(string reference, string code, int status, string client, IAlbaHost? host = null, string? proxy = null) =>
        (host ?? Host).Scenario(s =>
        {
            s.ConfigureHttpContext(c => c.Connection.RemoteIpAddress = IPAddress.Parse(proxy ?? AppFixture.ProxyAddress));
            s.WithRequestHeader("X-Forwarded-For", client);
            s.Post.Json(new TravellerStatusRequest(reference, code)).ToUrl("/api/traveller/status");
            s.StatusCodeShouldBe(status);
        });

    [Fact]
    public async Task behind_the_load_balancer_a_strangers_guesses_lock_out_the_stranger_not_the_traveller()
    {
        var (target, _) = await Booked();
        for (var i = 0; i < TravellerAccess.MaxAttempts; i++) await ThroughProxy(target.BookingReference, "WRONGCODE" + i, 404, "203.0.113.7");
        await ThroughProxy(target.BookingReference, target.AccessCode, 429, "203.0.113.7");
        await ThroughProxy(target.BookingReference, target.AccessCode, 200, "198.51.100.20");
    }

    [Fact]
    public async Task a_forged_forwarded_address_from_anyone_but_the_load_balancer_is_ignored()
    {
        var (target, _) = await Booked();
        // Not the proxy: each guess claims another client, and each counts against the connection itself.
        for (var i = 0; i < TravellerAccess.MaxAttempts; i++)
            await ThroughProxy(target.BookingReference, "WRONGCODE" + i, 404, $"198.51.100.{i + 1}", proxy: "192.0.2.50");
        await ThroughProxy(target.BookingReference, target.AccessCode, 429, "198.51.100.99", proxy: "192.0.2.50");
    }

    [Fact]
    public async Task two_travellers_behind_one_load_balancer_have_a_rate_limit_each()
    {
        var (target, _) = await Booked();
        await using var strict = await App.StartNodeAsync(("Travellers:RequestsPerMinutePerClient", "3"));
        for (var i = 0; i < 3; i++) await ThroughProxy(target.BookingReference, target.AccessCode, 200, "203.0.113.40", strict);
        await ThroughProxy(target.BookingReference, target.AccessCode, 429, "203.0.113.40", strict);
        await ThroughProxy(target.BookingReference, target.AccessCode, 200, "198.51.100.41", strict);
    }

    [Theory]
    [InlineData("2001:db8:1:2::10", "2001:db8:1:2:ffff::1", true)]
    [InlineData("2001:db8:1:2::10", "2001:db8:1:3::10", false)]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7", true)]
    [InlineData("198.51.100.7", "198.51.100.8", false)]
    public void a_client_is_its_ipv4_address_or_its_ipv6_64(string one, string other, bool same) =>
        (Marhaba.Hosting.Clients.Key(IPAddress.Parse(one)) == Marhaba.Hosting.Clients.Key(IPAddress.Parse(other))).ShouldBe(same);

    [Fact]
    public async Task thirty_wrong_codes_sent_at_once_to_two_nodes_are_each_counted_and_only_five_are_checked()
    {
        var (target, _) = await Booked();
        await using var second = await App.StartNodeAsync(("Travellers:RequestsPerMinutePerClient", "1000000"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            var result = await (i % 2 == 0 ? Host : second).Scenario(s =>
            {
                s.ConfigureHttpContext(c => c.Connection.RemoteIpAddress = Guesser);
                s.Post.Json(new TravellerStatusRequest(target.BookingReference, $"WRONG{i:D5}")).ToUrl("/api/traveller/status");
                s.IgnoreStatusCode();
            });
            return result.Context.Response.StatusCode;
        }));

        answers.Count(a => a == 404).ShouldBe(TravellerAccess.MaxAttempts, "exactly five codes were checked");
        answers.Count(a => a == 429).ShouldBe(30 - TravellerAccess.MaxAttempts);
        await Status(target.BookingReference, target.AccessCode, 429, second);
        await Status(target.BookingReference, target.AccessCode, 200, second, TravellersPhone);
    }

    [Fact]
    public async Task the_database_holds_no_code_that_opens_a_booking_without_the_server_key()
    {
        var (booked, _) = await Booked();
        await using var session = App.Store.QuerySession();
        var key = await session.LoadAsync<AccessKey>(booked.BookingReference);
        key.ShouldNotBeNull();
        // A plain hash of the code, salted or not, is not what is kept.
        var plain = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(booked.AccessCode)));
        key.CodeHash.ShouldNotBe(plain);
        var events = await session.Events.FetchStreamAsync(booked.CrossingId);
        System.Text.Json.JsonSerializer.Serialize(events.Select(e => e.Data)).ShouldNotContain(key.CodeHash);

        // Staff views of the crossing serve nothing derived from the code.
        var view = await Host.Scenario(s => { s.WithBearerToken(Token(Marhaba.Hosting.Roles.Admin)); s.Get.Url($"/api/crossings/{booked.CrossingId}"); });
        var text = await view.ReadAsTextAsync();
        text.ShouldNotContain(key.CodeHash);
        text.ShouldNotContain("hash", Case.Insensitive);
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
    public async Task the_travellers_page_and_the_sign_in_page_are_limited_per_client_and_the_staff_pages_are_not()
    {
        await using var strict = await App.StartNodeAsync(("Travellers:RequestsPerMinutePerClient", "3"));
        async Task<int> Get(string path) => (await strict.Scenario(s => { s.Get.Url(path); s.IgnoreStatusCode(); })).Context.Response.StatusCode;
        // One budget per client for every kind of guess: codes and passwords alike.
        for (var i = 0; i < 3; i++) (await Get("/traveller")).ShouldBe(200);
        (await Get("/traveller")).ShouldBe(429);
        (await Get("/signin")).ShouldBe(429);
        // A port office behind one address opens its desks and boards as often as it needs (they ask to sign in first).
        for (var i = 0; i < 10; i++) (await Get("/desk")).ShouldBe(302);
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
