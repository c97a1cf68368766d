using System.Net;
using System.Text;
using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marten;

namespace Marhaba.Tests.Crossings;

public class when_callers_send_bad_or_unauthorised_requests(AppFixture app) : Scenario(app)
{
    private async Task<string> PostRaw(string url, string body, int status, string? token)
    {
        var result = await Host.Scenario(s =>
        {
            if (token is not null) s.WithBearerToken(token);
            s.Post.Text(body).ToUrl(url);
            s.WithRequestHeader("Content-Type", "application/json");
            s.StatusCodeShouldBe(status);
        });
        if (status >= 400) result.Context.Response.ContentType.ShouldNotBeNull().ShouldStartWith("application/problem+json");
        return await result.ReadAsTextAsync();
    }

    private async Task<long> EventCount()
    {
        await using var session = App.Store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    [Fact]
    public async Task malformed_json_is_a_400_problem_and_records_nothing()
    {
        var (booking, _) = await Booked();
        var before = await EventCount();
        await PostRaw("/api/ports/MAPTM/arrivals", "{\"bookingReference\": \"" + booking.BookingReference + "\", ", 400, PortStaff("MAPTM"));
        (await EventCount()).ShouldBe(before);
    }

    [Fact]
    public async Task a_wrong_type_is_a_400_naming_the_field()
    {
        var sailing = await ScheduleSailing();
        var text = await PostRaw("/api/crossings", $"{{\"sailingId\":\"{sailing.Id}\",\"adults\":\"two\"}}", 400, Operator);
        text.ShouldContain("adults");
    }

    [Fact]
    public async Task an_unknown_vehicle_kind_is_a_422_naming_the_field_and_its_kinds()
    {
        var sailing = await ScheduleSailing();
        var text = await PostRaw("/api/crossings", $"{{\"sailingId\":\"{sailing.Id}\",\"adults\":2,\"vehicle\":{{\"kind\":\"Tractor\",\"plate\":\"AB123\",\"country\":\"F\"}}}}", 422, Operator);
        text.ShouldContain("vehicle.kind");
        text.ShouldContain(nameof(Marhaba.Sailings.VehicleKind.Car));
    }

    [Fact]
    public async Task missing_fields_are_a_400_naming_the_field()
    {
        var sailing = await ScheduleSailing();
        (await PostRaw("/api/crossings", "{\"adults\":2}", 400, Operator)).ShouldContain("\"field\":\"sailingId\"");
        (await PostRaw("/api/crossings", $"{{\"sailingId\":\"{sailing.Id}\"}}", 400, Operator)).ShouldContain("\"field\":\"adults\"");
        (await PostRaw("/api/ports/MAPTM/arrivals", "{\"lane\":\"4\"}", 400, PortStaff("MAPTM"))).ShouldContain("\"field\":\"bookingReference\"");
        (await PostRaw("/api/ports/MAPTM/arrivals", "", 400, PortStaff("MAPTM"))).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task an_unknown_port_code_is_a_400_naming_the_port()
    {
        var text = await PostRaw("/api/ports/XXTNG/arrivals", "{\"bookingReference\":\"MRH-ABCDEFGHJK\"}", 400, Token(Roles.Admin));
        text.ShouldContain("\"field\":\"port\"");
        text.ShouldContain("Unknown port 'XXTNG'");
    }

    [Fact]
    public async Task a_request_without_a_token_is_401()
    {
        await PostRaw("/api/ports/MAPTM/arrivals", "{\"bookingReference\":\"MRH-ABCDEFGHJK\"}", 401, null);
        await PostRaw("/api/crossings", "{}", 401, null);
        await Host.Scenario(s => { s.Get.Url("/api/sailings"); s.StatusCodeShouldBe(401); });
    }

    [Fact]
    public async Task a_token_signed_with_another_key_is_401()
    {
        var forged = new TokenIssuer(new AuthOptions { SigningKey = new string('x', 48) }).Mint("intruder", [Roles.Admin]);
        await PostRaw("/api/ports/MAPTM/arrivals", "{\"bookingReference\":\"MRH-ABCDEFGHJK\"}", 401, forged);
    }

    [Fact]
    public async Task a_nador_agent_cannot_record_an_arrival_at_tanger_med()
    {
        var (booking, _) = await Booked();
        var text = await PostRaw("/api/ports/MAPTM/arrivals", $"{{\"bookingReference\":\"{booking.BookingReference}\"}}", 403, PortStaff("MANDR"));
        text.ShouldContain("not at MAPTM");
    }

    [Fact]
    public async Task roles_other_than_port_staff_cannot_record_arrivals_and_port_staff_cannot_book()
    {
        var (booking, sailing) = await Booked();
        var body = $"{{\"bookingReference\":\"{booking.BookingReference}\"}}";
        await PostRaw("/api/ports/MAPTM/arrivals", body, 403, Planner);
        await PostRaw("/api/ports/MAPTM/arrivals", body, 403, Operator);
        await PostRaw("/api/crossings", $"{{\"sailingId\":\"{sailing.Id}\",\"adults\":1}}", 403, PortStaff("MAPTM"));
        await PostRaw("/api/sailings", "{}", 403, PortStaff("MAPTM"));
    }

    [Fact]
    public async Task a_traveller_with_a_wrong_code_learns_nothing_more_than_with_an_unknown_reference()
    {
        var (booking, _) = await Booked();
        var wrongCode = await PostRaw("/api/traveller/status", $"{{\"bookingReference\":\"{booking.BookingReference}\",\"accessCode\":\"AAAAAAAAAA\"}}", 404, null);
        var unknown = await PostRaw("/api/traveller/status", "{\"bookingReference\":\"MRH-AAAAAAAAAA\",\"accessCode\":\"AAAAAAAAAA\"}", 404, null);
        Strip(wrongCode).ShouldBe(Strip(unknown));

        static string Strip(string problem) => System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", "");
    }

    [Fact]
    public async Task an_unknown_crossing_id_is_404()
    {
        await PostRaw($"/api/crossings/{Guid.NewGuid()}/cancel", "{\"reason\":\"ChangeOfPlans\"}", 404, Operator);
        await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/crossings/{Guid.NewGuid()}"); s.StatusCodeShouldBe(404); });
    }

    [Fact]
    public async Task an_unparseable_query_value_is_a_400()
    {
        await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url("/api/sailings?after=yesterday"); s.StatusCodeShouldBe(400); });
    }
}
