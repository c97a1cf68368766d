using System.Net;
using System.Text;
using Marhaba.Hosting;
using Marhaba.PortAuthorities;
using Xunit.Abstractions;

namespace Marhaba.Tests.Security;

/// <summary>
/// Every endpoint the application exposes, called by every kind of caller: each is let through or
/// refused (401/403) exactly as this table says. A new endpoint missing from the table fails the test.
/// </summary>
public class the_authorisation_matrix(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private enum Caller { Anonymous, StaffTangerMed, StaffNador, Agent, Planner, Admin, Operator, PortAuthority }

    private static readonly Caller[] Everyone = Enum.GetValues<Caller>();
    private static readonly Caller[] Staff = [Caller.StaffTangerMed, Caller.StaffNador, Caller.Agent, Caller.Planner, Caller.Admin, Caller.Operator];
    private static readonly Caller[] DeskAtTangerMed = [Caller.StaffTangerMed, Caller.Admin];
    private static readonly Caller[] Booking = [Caller.Operator, Caller.Admin];
    private static readonly Caller[] Planners = [Caller.Planner, Caller.Admin];
    private static readonly Caller[] Agents = [Caller.Agent, Caller.Admin];
    private static readonly Caller[] Helpers = [Caller.Agent, Caller.StaffTangerMed, Caller.StaffNador, Caller.Admin];
    private static readonly Caller[] Admins = [Caller.Admin];

    private static readonly Dictionary<string, Caller[]> Allowed = new()
    {
        ["GET /health/live"] = Everyone, ["GET /health/ready"] = Everyone,
        ["GET /api/ports"] = Everyone, ["GET /api/routes"] = Everyone,
        ["POST /api/traveller/status"] = Everyone, ["POST /api/traveller/assistance"] = Everyone, ["POST /api/traveller/requests"] = Everyone,
        ["POST /api/traveller/requests/{requestReference}/cancel"] = Everyone, ["POST /api/traveller/requests/{requestReference}/reopen"] = Everyone,
        ["POST /api/port-authority/notifications"] = [Caller.PortAuthority],

        ["GET /api/crossings"] = Staff, ["GET /api/crossings/{crossingId}"] = Staff, ["GET /api/sailings"] = Staff,
        ["GET /api/sailings/{sailingId}"] = Staff, ["GET /api/ports/{port}/arrivals/{day}"] = Staff,

        ["POST /api/ports/{port}/arrivals"] = DeskAtTangerMed, ["POST /api/ports/{port}/arrivals/batch"] = DeskAtTangerMed,
        ["POST /api/ports/{port}/boardings"] = DeskAtTangerMed, ["POST /api/ports/{port}/check-ins"] = DeskAtTangerMed,
        ["POST /api/ports/{port}/clearances"] = DeskAtTangerMed, ["POST /api/ports/{port}/exits"] = DeskAtTangerMed,
        ["POST /api/ports/{port}/no-shows"] = DeskAtTangerMed,

        ["POST /api/crossings"] = Booking, ["POST /api/crossings/{crossingId}/cancel"] = Booking,
        ["POST /api/crossings/{crossingId}/rebook"] = Booking, ["PUT /api/crossings/{crossingId}/profile"] = Booking,

        ["POST /api/sailings"] = Planners, ["POST /api/sailings/{sailingId}/arrival"] = Planners, ["POST /api/sailings/{sailingId}/boarding"] = Planners,
        ["POST /api/sailings/{sailingId}/cancellation"] = Planners, ["POST /api/sailings/{sailingId}/capacity"] = Planners,
        ["POST /api/sailings/{sailingId}/delay"] = Planners, ["POST /api/sailings/{sailingId}/departure"] = Planners,
        ["POST /api/sailings/{sailingId}/departure-report"] = Planners,
        ["GET /api/ports/{port}/days/{day}/capacity"] = Planners, ["POST /api/ports/{port}/days/{day}/capacity"] = Planners,
        ["POST /api/planning/forecasts"] = Planners, ["GET /api/planning/ports"] = Planners, ["GET /api/planning/ports/{port}/days"] = Planners,
        ["GET /api/planning/ports/{port}/hours"] = Planners, ["GET /api/planning/sailings/{sailingId}"] = Planners,
        ["GET /api/planning/season"] = Planners, ["GET /api/port-authority/notifications"] = Planners,

        ["GET /api/assistance/{requestId}"] = Agents, ["POST /api/assistance/{requestId}/acknowledge"] = Agents,
        ["POST /api/assistance/{requestId}/assign"] = Agents, ["POST /api/assistance/{requestId}/close"] = Agents,
        ["POST /api/assistance/{requestId}/notes"] = Agents, ["POST /api/assistance/{requestId}/resolve"] = Agents,
        ["POST /api/assistance/{requestId}/transfer"] = Agents, ["GET /api/assistance/board"] = Agents, ["GET /api/assistance/queue"] = Agents,

        ["POST /api/assistance"] = Helpers, ["GET /api/crossings/{crossingId}/profile"] = Helpers,

        ["POST /api/crossings/{crossingId}/erasure"] = Admins, ["GET /api/crossings/{crossingId}/profile/reads"] = Admins,
        ["POST /api/port-authority/daily-figures"] = Admins, ["GET /api/port-authority/link"] = Admins,
        ["DELETE /dead-letters/"] = Admins, ["POST /dead-letters/"] = Admins, ["POST /dead-letters/replay"] = Admins,
    };

    [Fact]
    public async Task every_endpoint_lets_in_exactly_the_callers_it_should()
    {
        var endpoints = EndpointCatalogue.Of(Host.Services);
        var missing = endpoints.Select(e => $"{e.Method} {e.Route}").Where(key => !Allowed.ContainsKey(key)).ToList();
        missing.ShouldBeEmpty("every endpoint needs a line in the authorisation matrix");

        var wrong = new List<string>();
        var checks = 0;
        foreach (var (method, route) in endpoints)
        foreach (var caller in Everyone)
        {
            using var response = await Call(caller, method, EndpointCatalogue.Path(route));
            var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
            var expected = Allowed[$"{method} {route}"].Contains(caller);
            if (refused == expected) wrong.Add($"{method} {route} as {caller}: {(int)response.StatusCode}");
            if ((int)response.StatusCode >= 500) wrong.Add($"{method} {route} as {caller}: {(int)response.StatusCode}");
            checks++;
        }
        output.WriteLine($"{endpoints.Count} endpoints × {Everyone.Length} callers = {checks} checks, {wrong.Count} wrong");
        wrong.ShouldBeEmpty();
    }

    private async Task<HttpResponseMessage> Call(Caller caller, string method, string path)
    {
        var body = "{}";
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET") request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var token = caller switch
        {
            Caller.StaffTangerMed => PortStaff("MAPTM"),
            Caller.StaffNador => PortStaff("MANDR"),
            Caller.Agent => Token(Roles.Agent, "MAPTM"),
            Caller.Planner => Planner,
            Caller.Admin => Token(Roles.Admin),
            Caller.Operator => Operator,
            _ => null
        };
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (caller == Caller.PortAuthority)
        {
            var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.Add(AuthorityProtocol.AuthorityHeader, StandInAuthorityServer.AuthorityId);
            request.Headers.Add(AuthorityProtocol.TimestampHeader, at.ToString());
            request.Headers.Add(AuthorityProtocol.SignatureHeader, AuthorityProtocol.Sign(App.Authority.Secret, at, body));
        }
        return await Client().SendAsync(request);
    }
}
