using System.Net;
using Xunit.Abstractions;
using static Marhaba.Tests.Security.EndpointCatalogue;

namespace Marhaba.Tests.Security;

/// <summary>
/// Every operation with an id in its path, called by every caller allowed to call it, with a body it
/// accepts and path ids of every odd kind: each answer is a 4xx problem (the all-zero id's names it), never a 5xx.
/// </summary>
public class when_path_ids_name_nothing(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private static readonly string[] OddIds =
    [
        Guid.Empty.ToString(), Guid.Empty.ToString("N"), Guid.Empty.ToString("B"), Guid.Empty.ToString().ToUpperInvariant(),
        Guid.NewGuid().ToString(), Guid.NewGuid().ToString("N").ToUpperInvariant(),
        "not-a-guid", "12345", "%2e%2e", new string('f', 300), "00000000-0000-0000-0000-00000000000g", "-1",
    ];

    [Fact]
    public async Task every_caller_gets_a_4xx_problem()
    {
        var bad = new List<string>();
        var sent = 0;
        foreach (var (method, route) in Of(Host.Services).Where(e => e.Route.Contains("Id}")))
        {
            var key = $"{method} {route}";
            Acceptable.ContainsKey(key).ShouldBeTrue($"{key} needs an acceptable body in the endpoint catalogue");
            var body = method == "GET" ? "" : Acceptable[key];
            var query = method == "GET" ? Acceptable[key] : "";
            foreach (var caller in Allowed[key].Where(c => c is not Caller.Anonymous && !Signed(c)))
            foreach (var id in OddIds)
            {
                using var response = await Client().SendAsync(Request(App, caller, method, Path(route, id) + query, body));
                sent++;
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                var named = !Guid.TryParse(id, out var g) || g != Guid.Empty || text.Contains(id);
                if (status is < 400 or >= 500 || !problem || !named) bad.Add($"{key} as {caller} with {id[..Math.Min(id.Length, 40)]}: {status} {text[..Math.Min(text.Length, 200)]}");
            }
        }
        output.WriteLine($"{sent} requests with odd path ids: {bad.Count} answered otherwise than a 4xx problem");
        foreach (var line in bad.Take(60)) output.WriteLine(line);
        sent.ShouldBeGreaterThan(300);
        bad.ShouldBeEmpty();
    }
}
