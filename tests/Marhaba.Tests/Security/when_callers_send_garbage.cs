using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Alba;
using Marhaba.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Marhaba.Tests.Security;

/// <summary>
/// Over a thousand malformed requests across every endpoint, as an admin (so that input checks, not
/// authorisation, answer): each gets a 4xx problem-details answer, none a 5xx; nothing is stored.
/// </summary>
public class when_callers_send_garbage(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private static readonly string Huge = new('A', 300_000);

    /// <summary>Bodies that are no JSON object at all.</summary>
    private static readonly (string Name, byte[] Body)[] Unparseable =
    [
        ("truncated JSON", Utf8("{\"bookingReference\": \"MRH-")),
        ("not JSON", Utf8("arrival please")),
        ("array", Utf8("[1,2,3]")),
        ("null", Utf8("null")),
        ("deep nesting", Utf8(new string('[', 5000) + new string(']', 5000))),
        ("NaN and infinities", Utf8("{\"adults\":NaN,\"passengerCapacity\":Infinity}")),
    ];

    /// <summary>Objects broken in every way a client (or an attacker) might break them.</summary>
    private static readonly (string Name, byte[] Body)[] BrokenBodies =
    [
        ("empty", []),
        ("wrong types", Utf8("{\"sailingId\":12,\"adults\":\"two\",\"items\":\"x\",\"category\":7,\"bookingReference\":42,\"party\":\"me\",\"reason\":[1]}")),
        ("huge strings", Utf8($"{{\"bookingReference\":\"{Huge}\",\"description\":\"{Huge}\",\"reason\":\"{Huge}\",\"vessel\":\"{Huge}\"}}")),
        ("invalid UTF-8", [.. Utf8("{\"bookingReference\":\""), 0xFF, 0xFE, 0xC3, .. Utf8("\"}")]),
    ];

    /// <summary>Bodies that parse, but say nothing valid.</summary>
    private static readonly (string Name, byte[] Body)[] WrongValues =
    [
        ("only unknown fields", Utf8("{\"unknownField\":true,\"__proto__\":{}}")),
        ("unknown enum values", Utf8("{\"category\":\"Alien\",\"urgency\":\"Soon\",\"vehicle\":{\"kind\":\"Tractor\"},\"type\":\"Tsunami\",\"direction\":\"Sideways\",\"outcome\":\"Maybe\",\"language\":\"de\"}")),
        ("unknown codes", Utf8("{\"routeCode\":\"XXAAA-YYBBB\",\"place\":\"NOWHERE\",\"port\":\"QQQQQ\",\"bookingReference\":\"MRH-NOPE\",\"plate\":\"!\"}")),
        ("negative and enormous counts", Utf8("{\"adults\":-5,\"children\":2147483647,\"passengerCapacity\":-1,\"vehicleLaneMetres\":999999999,\"passengersPerHour\":-3,\"vehiclesPerHour\":2147483647,\"fromHour\":-1,\"toHour\":99}")),
        ("dates far away", Utf8("{\"occurredAt\":\"0001-01-01T00:00:00Z\",\"departureAt\":\"9999-12-31T23:59:59Z\",\"newArrivalAt\":\"1900-01-01T00:00:00Z\",\"day\":\"0001-01-01\"}")),
        ("empty object", Utf8("{}")),
        ("empty strings", Utf8("{\"bookingReference\":\"\",\"accessCode\":\"\",\"reason\":\"\",\"description\":\"\",\"text\":\"\",\"reference\":\"\"}")),
        ("objects for strings", Utf8("{\"bookingReference\":{\"$ne\":null},\"accessCode\":[\"a\"],\"reason\":{},\"description\":true,\"place\":1.5}")),
        ("injection attempts", Utf8("{\"bookingReference\":\"MRH-' OR 1=1;--\",\"reason\":\"<script>alert(1)</script>\",\"vessel\":\"'; drop table mt_events;--\",\"reference\":\"../../etc/passwd\"}")),
        ("control characters", Utf8("{\"bookingReference\":\"\\u0000\\u0007MRH\",\"lane\":\"\\u202E4 enaL\",\"text\":\"\\u0000\"}")),
        ("a flood of items", Utf8("{\"items\":[" + string.Join(",", Enumerable.Repeat("{\"bookingReference\":\"MRH-ZZZZZZZZZZ\"}", 5000)) + "],\"party\":[" + string.Join(",", Enumerable.Repeat("{}", 500)) + "]}")),
        ("ids that are not ids", Utf8("{\"sailingId\":\"not-a-guid\",\"crossingId\":\"00000000-0000-0000-0000-000000000000\",\"requestId\":42}")),
        ("look-alike letters", Utf8("{\"bookingReference\":\"МRН-АВСDЕFGНJK\",\"accessCode\":\"ОООООООООО\",\"port\":\"МАРТМ\",\"place\":\"МАРТМ\"}")),
        ("a body of megabytes", Utf8("{\"junk\":\"" + new string('x', 2_000_000) + "\"}")),
        ("nulls everywhere", Utf8("{\"bookingReference\":null,\"sailingId\":null,\"items\":null,\"party\":null,\"category\":null,\"reason\":null}")),
    ];

    /// <summary>Endpoints for which an empty or partial object is a legitimate request: only broken bodies for them.</summary>
    private static readonly HashSet<string> AcceptEmptyObjects =
        ["POST /api/planning/forecasts", "POST /api/port-authority/daily-figures", "DELETE /dead-letters/", "POST /dead-letters/", "POST /dead-letters/replay"];

    /// <summary>For each endpoint reading the query, values of its own parameters that cannot be.</summary>
    private static readonly Dictionary<string, string[]> BadQueries = new()
    {
        ["/api/sailings"] = ["?after=yesterday", "?before=2027-02-30", "?route=XXAAA-YYBBB", "?from=QQQQQ", "?after=2027-01-01&before=2026-01-01", "?after=2020-01-01&before=2030-01-01"],
        ["/api/crossings"] = ["", "?reference=", "?reference=" + new string('Z', 500)],
        ["/api/planning/ports/{port}/days"] = ["?from=2027-02-30", "?days=-1", "?days=999", "?days=many"],
        ["/api/planning/ports/{port}/hours"] = ["?hours=99999", "?hours=0", "?from=not-a-date"],
        ["/api/port-authority/notifications"] = ["?applied=maybe"],
        ["/api/crossings/{crossingId}/profile"] = ["", "?reason=", "?reason=" + new string('r', 5000)],
        ["/api/assistance/board"] = ["?place=NOWHERE", "?place=SAILING:not-a-guid"],
    };

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task a_five_megabyte_chunked_body_is_refused_before_anyone_is_authenticated()
    {
        var body = new MemoryStream(Utf8("{\"bookingReference\":\"" + new string('A', 5 * 1024 * 1024) + "\"}"));
        var result = await Host.Scenario(s =>
        {
            s.Post.Url("/api/ports/MAPTM/arrivals");
            // No length: sent in chunks, as a client streaming it would.
            s.ConfigureHttpContext(c => { c.Request.Body = body; c.Request.ContentType = "application/json"; c.Request.ContentLength = null; });
            s.StatusCodeShouldBe(413);
        });
        (await result.ReadAsTextAsync()).ShouldContain("at most 1024 KB");
        body.Position.ShouldBeLessThan(2 * 1024 * 1024, "the rest of the body is never read");
    }

    [Fact]
    public async Task a_key_sent_to_a_route_that_does_not_exist_or_refused_at_the_door_leaves_nothing_behind()
    {
        async Task<long> KeptAsync()
        {
            await using var conn = new NpgsqlConnection(App.ConnectionString);
            await conn.OpenAsync();
            return (long)(await new NpgsqlCommand($"select count(*) from {IdempotencyLog.Table}", conn).ExecuteScalarAsync())!;
        }
        var before = await KeptAsync();
        foreach (var path in new[] { "/api/nowhere", "/nowhere-at-all", "/api/ports/MAPTM/arrivals" })
            await Host.Scenario(s =>
            {
                s.Post.Json(new { bookingReference = "MRH-AAAAAAAAAA" }).ToUrl(path);
                s.WithRequestHeader(Idempotency.Header, $"stranger-{Guid.NewGuid()}");
                s.IgnoreStatusCode();
            });
        (await KeptAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task every_answer_is_a_4xx_problem_and_nothing_is_stored()
    {
        var endpoints = EndpointCatalogue.Of(Host.Services);
        var admin = Token(Roles.Admin);
        var doc = await Marhaba.Tests.Hosting.OpenApi.LoadAsync(Host);
        var undocumented = new SortedSet<string>();
        var before = await CountStoredAsync();
        while (App.Logs.Entries.TryDequeue(out _)) { }
        var sent = 0;
        var bad = new List<string>();

        async Task Send(string method, string path, byte[]? body, string what, Action<HttpRequestMessage>? tweak = null)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            tweak?.Invoke(request);
            using var response = await Client().SendAsync(request);
            sent++;
            var status = (int)response.StatusCode;
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
            var route = endpoints.First(e => e.Method == method && Matches(e.Route, path)).Route;
            if (route.StartsWith("/api") && !Marhaba.Tests.Hosting.OpenApi.Documents(doc, method, route, status)) undocumented.Add($"{method} {route}: {status}");
            if (status is < 400 or >= 500 || !problem) bad.Add($"{method} {path[..Math.Min(path.Length, 80)]} [{what}]: {status} {response.Content.Headers.ContentType}");
        }

        foreach (var (method, route) in endpoints.Where(e => e.Route.StartsWith("/api") || e.Route.StartsWith("/dead-letters")))
        {
            var key = $"{method} {route}";
            var path = EndpointCatalogue.Path(route);
            if (method == "GET")
            {
                foreach (var query in BadQueries.GetValueOrDefault(route) ?? []) await Send(method, path + query, null, "bad query");
            }
            else
            {
                foreach (var (name, body) in Unparseable) await Send(method, path, body, name);
                if (!AcceptEmptyObjects.Contains(key))
                    foreach (var (name, body) in BrokenBodies.Concat(WrongValues)) await Send(method, path, body, name);
                // Keys are read by the API's commands; Wolverine's own dead-letter routes (an administrator's, idempotent by nature) take none.
                if (route.StartsWith("/api"))
                    await Send(method, path, Utf8("{}"), "doubled Idempotency-Key", r => r.Headers.TryAddWithoutValidation(Idempotency.Header, ["a", "b"]));
                await Send(method, path, Utf8("{}"), "text/plain", r => r.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain"));
            }

            // The same with route values that cannot be: unknown port, impossible day, ids that are not ids.
            if (route.Contains('{'))
            {
                var broken = route.Replace("{port}", "ZZZZZ").Replace("{day}", "2027-13-45").Replace("{crossingId}", "not-a-guid")
                    .Replace("{sailingId}", "12345").Replace("{requestId}", "x").Replace("{requestReference}", new string('R', 300));
                await Send(method, broken, method == "GET" ? null : Utf8("{}"), "impossible route values");
            }
        }

        output.WriteLine($"{sent} malformed requests across {endpoints.Count} endpoints: {bad.Count} answered otherwise than a 4xx problem");
        foreach (var line in bad.Take(80)) output.WriteLine(line);
        sent.ShouldBeGreaterThanOrEqualTo(1000);
        bad.ShouldBeEmpty();
        undocumented.ShouldBeEmpty("every answer given is one the OpenAPI document lists");
        (await CountStoredAsync()).ShouldBe(before, "rejected requests store nothing");

        // A client's bad input is the client's problem: no error-level entry, no stack trace in the log.
        var logged = App.Logs.Entries.ToList();
        var errors = logged.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error || e.WithException).ToList();
        output.WriteLine($"{logged.Count} log entries, {errors.Count} errors or stack traces");
        foreach (var e in errors.Take(10)) output.WriteLine($"{e.Level} {e.Category}: {e.Message[..Math.Min(e.Message.Length, 300)]}");
        errors.ShouldBeEmpty();
        await Host.Scenario(s => { s.Get.Url("/health/ready"); s.StatusCodeShouldBeOk(); });
    }

    /// <summary>Whether a concrete path is an instance of a route template (each {…} segment matches one segment).</summary>
    private static bool Matches(string route, string path)
    {
        var r = route.Split('/');
        var p = path.Split('?')[0].Split('/');
        return r.Length == p.Length && r.Zip(p).All(x => x.First.StartsWith('{') || x.First == x.Second);
    }

    private async Task<long> CountStoredAsync()
    {
        var tables = (await App.TablesAsync("mt_doc_%")).Append("mt_events");
        await using var conn = new NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();
        long total = 0;
        foreach (var table in tables.Where(t => t != "mt_doc_accessfailures"))
        {
            await using var count = new NpgsqlCommand($"select count(*) from marhaba.\"{table}\"", conn);
            total += (long)(await count.ExecuteScalarAsync())!;
        }
        return total;
    }
}
