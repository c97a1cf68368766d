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
    [Fact]
    public async Task every_endpoint_lets_in_exactly_the_callers_it_should()
    {
        var endpoints = EndpointCatalogue.Of(Host.Services);
        var missing = endpoints.Select(e => $"{e.Method} {e.Route}").Where(key => !EndpointCatalogue.Allowed.ContainsKey(key)).ToList();
        missing.ShouldBeEmpty("every endpoint needs a line in the authorisation matrix");

        var wrong = new List<string>();
        var checks = 0;
        foreach (var (method, route) in endpoints)
        foreach (var caller in EndpointCatalogue.Everyone)
        {
            using var response = await Client().SendAsync(EndpointCatalogue.Request(App, caller, method, EndpointCatalogue.Path(route), "{}"));
            var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                          || response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.ToString().Contains("/signin") == true;
            var expected = EndpointCatalogue.Allowed[$"{method} {route}"].Contains(caller);
            if (refused == expected) wrong.Add($"{method} {route} as {caller}: {(int)response.StatusCode}");
            if ((int)response.StatusCode >= 500) wrong.Add($"{method} {route} as {caller}: {(int)response.StatusCode}");
            checks++;
        }
        output.WriteLine($"{endpoints.Count} endpoints × {EndpointCatalogue.Everyone.Length} callers = {checks} checks, {wrong.Count} wrong");
        wrong.ShouldBeEmpty();
    }
}
