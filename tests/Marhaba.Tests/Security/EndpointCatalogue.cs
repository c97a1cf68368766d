using System.Text;
using Marhaba.Hosting;
using Marhaba.PortAuthorities;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Security;

/// <summary>
/// Every HTTP endpoint the running application exposes, as "METHOD /route"; who may call each; and a
/// body each would accept, so that a probe reaches past the input checks.
/// </summary>
public static class EndpointCatalogue
{
    public static List<(string Method, string Route)> Of(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(e => !e.Item2.StartsWith("/openapi") && !e.Item2.StartsWith("/docs") && e.Item2 != "/" && !IsStaticFile(e.Item2))
            .Distinct().OrderBy(e => e.Item2).ThenBy(e => e.m).ToList();

    /// <summary>The pages' scripts (desk.js, Blazor's): files anyone may fetch, served by ASP.NET Core's static assets.</summary>
    private static bool IsStaticFile(string route) => route.Contains(":file}") || route.Split('/')[^1].Contains('.');

    /// <summary>A concrete path for a route: ids that exist nowhere, Tanger Med, a day of the next season.</summary>
    public static string Path(string route, string? id = null) => route
        .Replace("{crossingId}", id ?? Guid.NewGuid().ToString()).Replace("{sailingId}", id ?? Guid.NewGuid().ToString())
        .Replace("{requestId}", id ?? Guid.NewGuid().ToString()).Replace("{port}", "MAPTM").Replace("{day}", "2027-07-28")
        .Replace("{requestReference}", "AST-AAAAAAAAAA").Replace("{login}", "nobody-here");

    public enum Caller { Anonymous, StaffTangerMed, StaffNador, Agent, Planner, Admin, Operator, PortAuthority, SmsGateway }

    /// <summary>Systems that sign their requests instead of carrying a token.</summary>
    public static bool Signed(Caller c) => c is Caller.PortAuthority or Caller.SmsGateway;

    public static readonly Caller[] Everyone = Enum.GetValues<Caller>();
    public static readonly Caller[] Staff = [Caller.StaffTangerMed, Caller.StaffNador, Caller.Agent, Caller.Planner, Caller.Admin, Caller.Operator];
    public static readonly Caller[] DeskAtTangerMed = [Caller.StaffTangerMed, Caller.Admin];
    public static readonly Caller[] Booking = [Caller.Operator, Caller.Admin];
    public static readonly Caller[] Planners = [Caller.Planner, Caller.Admin];
    public static readonly Caller[] Agents = [Caller.Agent, Caller.Admin];
    public static readonly Caller[] Helpers = [Caller.Agent, Caller.StaffTangerMed, Caller.StaffNador, Caller.Admin];
    public static readonly Caller[] Admins = [Caller.Admin];

    public static readonly Dictionary<string, Caller[]> Allowed = new()
    {
        ["GET /health/live"] = Everyone, ["GET /health/ready"] = Everyone, ["GET /health/reads"] = Everyone, ["GET /metrics"] = [], // the scraper only, with its own token (when_an_operator_watches_the_metrics)
        ["GET /api/ports"] = Everyone, ["GET /api/routes"] = Everyone, ["GET /traveller"] = Everyone, ["POST /traveller"] = Everyone, ["GET /_framework/opaque-redirect"] = Everyone,
        ["GET /signin"] = Everyone, ["POST /signin"] = Everyone, ["GET /signout"] = Everyone, ["POST /signout"] = Everyone,
        // Staff pages take the sign-in cookie, never a bearer token: every caller here is sent to sign in.
        ["GET /staff"] = [], ["POST /staff"] = [], ["GET /admin/accounts"] = [], ["POST /admin/accounts"] = [], ["GET /board"] = [], ["POST /board"] = [],
        ["GET /desk"] = [], ["POST /desk"] = [], ["GET /dashboard"] = [], ["POST /dashboard"] = [],
        ["GET /dashboard/report"] = [], ["POST /dashboard/report"] = [], ["GET /dashboard/csv"] = [], ["POST /staff/language"] = [],
        // Blazor's connection for the live pages: open to all, the pages it serves check the signed-in user.
        ["GET /_blazor"] = Everyone, ["GET /_blazor/disconnect/"] = Everyone, ["GET /_blazor/initializers/"] = Everyone, ["GET /_blazor/negotiate"] = Everyone,
        ["GET /api/staff/accounts"] = Admins, ["POST /api/staff/accounts"] = Admins, ["PUT /api/staff/accounts/{login}"] = Admins,
        ["POST /api/staff/accounts/{login}/sign-out-everywhere"] = Admins, ["POST /api/staff/accounts/{login}/password"] = Admins, ["GET /api/staff/accounts/{login}/changes"] = Admins,
        // The desk renews its token with its sign-in cookie, never with a token.
        ["POST /desk/token"] = [],
        ["POST /api/staff/accounts/{login}/disable"] = Admins, ["POST /api/staff/accounts/{login}/enable"] = Admins,
        ["POST /api/traveller/status"] = Everyone, ["PUT /api/traveller/contact"] = Everyone, ["POST /api/traveller/assistance"] = Everyone, ["POST /api/traveller/requests"] = Everyone,
        ["POST /api/traveller/requests/{requestReference}/cancel"] = Everyone, ["POST /api/traveller/requests/{requestReference}/reopen"] = Everyone,
        ["POST /api/port-authority/notifications"] = [Caller.PortAuthority], ["POST /api/notices/sms-receipts"] = [Caller.SmsGateway],

        ["GET /api/crossings"] = Staff, ["GET /api/crossings/{crossingId}"] = Staff, ["GET /api/sailings"] = Staff,
        ["GET /api/sailings/{sailingId}"] = Staff, ["GET /api/ports/{port}/arrivals/{day}"] = Staff,

        ["POST /api/ports/{port}/arrivals"] = DeskAtTangerMed, ["POST /api/ports/{port}/arrivals/batch"] = DeskAtTangerMed,
        ["POST /api/ports/{port}/boardings"] = DeskAtTangerMed, ["POST /api/ports/{port}/check-ins"] = DeskAtTangerMed,
        ["POST /api/ports/{port}/clearances"] = DeskAtTangerMed, ["POST /api/ports/{port}/exits"] = DeskAtTangerMed,
        ["POST /api/ports/{port}/no-shows"] = DeskAtTangerMed,
        ["GET /api/ports/{port}/desk/crossings"] = DeskAtTangerMed, ["GET /api/ports/{port}/desk/sailings"] = DeskAtTangerMed,
        ["GET /api/ports/{port}/desk/sailings/{sailingId}"] = DeskAtTangerMed, ["POST /api/ports/{port}/desk/scan"] = DeskAtTangerMed,

        ["POST /api/crossings"] = Booking, ["POST /api/crossings/{crossingId}/cancel"] = Booking,
        ["POST /api/crossings/{crossingId}/rebook"] = Booking, ["PUT /api/crossings/{crossingId}/profile"] = Booking,

        ["POST /api/sailings"] = Planners, ["POST /api/sailings/{sailingId}/arrival"] = Planners, ["POST /api/sailings/{sailingId}/boarding"] = Planners,
        ["POST /api/sailings/{sailingId}/cancellation"] = Planners, ["POST /api/sailings/{sailingId}/capacity"] = Planners,
        ["POST /api/sailings/{sailingId}/delay"] = Planners, ["POST /api/sailings/{sailingId}/departure"] = Planners,
        ["POST /api/sailings/{sailingId}/departure-report"] = Planners,
        ["GET /api/ports/{port}/days/{day}/capacity"] = Planners, ["POST /api/ports/{port}/days/{day}/capacity"] = Planners,
        ["POST /api/planning/forecasts"] = Planners, ["GET /api/planning/ports"] = Planners, ["GET /api/planning/ports/{port}/days"] = Planners,
        ["GET /api/planning/ports/{port}/hours"] = Planners, ["GET /api/planning/sailings/{sailingId}"] = Planners, ["GET /api/planning/sailings/{sailingId}/travellers-told"] = Planners,
        ["GET /api/planning/season"] = Planners, ["GET /api/port-authority/notifications"] = Planners, ["GET /api/notices/figures"] = Admins,

        ["GET /api/assistance/{requestId}"] = Agents, ["POST /api/assistance/{requestId}/acknowledge"] = Agents,
        ["POST /api/assistance/{requestId}/assign"] = Agents, ["POST /api/assistance/{requestId}/abuse"] = Agents, ["POST /api/assistance/{requestId}/close"] = Agents,
        ["POST /api/assistance/{requestId}/notes"] = Agents, ["POST /api/assistance/{requestId}/resolve"] = Agents,
        ["POST /api/assistance/{requestId}/transfer"] = Agents, ["POST /api/assistance/{requestId}/escalate"] = Agents, ["GET /api/assistance/board"] = Agents, ["GET /api/assistance/queue"] = Agents,

        ["POST /api/assistance"] = Helpers, ["GET /api/crossings/{crossingId}/profile"] = Helpers,

        ["POST /api/crossings/{crossingId}/erasure"] = Admins, ["POST /api/assistance/{requestId}/erasure"] = Admins, ["GET /api/crossings/{crossingId}/profile/reads"] = Admins,
        ["POST /api/port-authority/daily-figures"] = Admins, ["GET /api/port-authority/link"] = Admins,
        ["DELETE /dead-letters/"] = Admins, ["POST /dead-letters/"] = Admins, ["POST /dead-letters/replay"] = Admins,
    };

    /// <summary>A request as <paramref name="caller"/> would send it: its token, or the authority's signature.</summary>
    public static HttpRequestMessage Request(AppFixture app, Caller caller, string method, string path, string body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        // The pages' own forms take form bodies only (anything else is refused before any check, 415): sent as a form.
        if (method != "GET") request.Content = path == Marhaba.Pages.LanguageChoice.Route
            ? new FormUrlEncodedContent([new("lang", "ar")])
            : new StringContent(body, Encoding.UTF8, "application/json");
        string Mint(string role, params string[] ports) => app.Tokens.Mint($"test-{role}-{string.Join("-", ports)}", [role], ports);
        var token = caller switch
        {
            Caller.StaffTangerMed => Mint(Roles.PortStaff, "MAPTM"),
            Caller.StaffNador => Mint(Roles.PortStaff, "MANDR"),
            Caller.Agent => Mint(Roles.Agent, "MAPTM"),
            Caller.Planner => Mint(Roles.Planner),
            Caller.Admin => Mint(Roles.Admin),
            Caller.Operator => app.Tokens.Mint("test-operator", [Roles.Operator], company: "GNV"),
            _ => null
        };
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (caller == Caller.SmsGateway)
        {
            var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.Add(Marhaba.Notices.SmsProtocol.TimestampHeader, at.ToString());
            request.Headers.Add(Marhaba.Notices.SmsProtocol.SignatureHeader, Marhaba.Notices.SmsProtocol.Sign(app.Sms.ApiKey, at, body));
        }
        if (caller == Caller.PortAuthority)
        {
            var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.Add(AuthorityProtocol.AuthorityHeader, StandInAuthorityServer.AuthorityId);
            request.Headers.Add(AuthorityProtocol.TimestampHeader, at.ToString());
            request.Headers.Add(AuthorityProtocol.SignatureHeader, AuthorityProtocol.Sign(app.Authority.Secret, at, body));
        }
        return request;
    }

    /// <summary>For each route with an id in its path, a body (or query) its input checks accept.</summary>
    public static readonly Dictionary<string, string> Acceptable = new()
    {
        ["GET /api/crossings/{crossingId}"] = "", ["GET /api/crossings/{crossingId}/profile"] = "?reason=traveller%20at%20the%20desk",
        ["GET /api/crossings/{crossingId}/profile/reads"] = "",
        ["POST /api/crossings/{crossingId}/cancel"] = """{"reason":"TravellerRequest"}""",
        ["POST /api/crossings/{crossingId}/rebook"] = $$"""{"sailingId":"{{Guid.NewGuid()}}","reason":"TravellerRequest"}""",
        ["POST /api/crossings/{crossingId}/erasure"] = """{"why":"TravellerRequest"}""", ["POST /api/assistance/{requestId}/erasure"] = """{"why":"TravellerRequest"}""",
        ["PUT /api/crossings/{crossingId}/profile"] = """{"phone":"+212600000000"}""",
        ["GET /api/sailings/{sailingId}"] = "", ["GET /api/ports/{port}/desk/sailings/{sailingId}"] = "", ["GET /api/planning/sailings/{sailingId}"] = "", ["GET /api/planning/sailings/{sailingId}/travellers-told"] = "",
        ["POST /api/sailings/{sailingId}/arrival"] = "{}", ["POST /api/sailings/{sailingId}/boarding"] = "{}",
        ["POST /api/sailings/{sailingId}/departure"] = "{}", ["POST /api/sailings/{sailingId}/departure-report"] = "{}",
        ["POST /api/sailings/{sailingId}/cancellation"] = """{"reason":"Weather"}""",
        ["POST /api/sailings/{sailingId}/capacity"] = """{"passengerCapacity":900,"reason":"smaller ship"}""",
        ["POST /api/sailings/{sailingId}/delay"] = """{"newDepartureAt":"2027-07-28T20:00:00Z","reason":"Weather"}""",
        ["GET /api/assistance/{requestId}"] = "", ["POST /api/assistance/{requestId}/acknowledge"] = "{}", ["POST /api/assistance/{requestId}/abuse"] = "{}",
        ["POST /api/assistance/{requestId}/assign"] = """{"agent":"agent-1"}""", ["POST /api/assistance/{requestId}/close"] = "{}",
        ["POST /api/assistance/{requestId}/notes"] = """{"text":"called back"}""",
        ["POST /api/assistance/{requestId}/resolve"] = """{"outcome":"Solved","note":"done"}""",
        ["POST /api/assistance/{requestId}/transfer"] = """{"place":"MAPTM"}""", ["POST /api/assistance/{requestId}/escalate"] = "{}",
    };
}
