using System.Text.Json;
using Alba;
using Marhaba.Tests.Security;

namespace Marhaba.Tests.Hosting;

/// <summary>What generated clients rely on: who needs a token, which answers each operation gives, which fields are required.</summary>
public class the_openapi_document_tells_the_truth(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task tokens_answers_and_required_fields_are_as_the_endpoints_behave()
    {
        var doc = await OpenApi.LoadAsync(Host);
        var wrong = new List<string>();
        foreach (var (method, route) in EndpointCatalogue.Of(Host.Services).Where(e => e.Route.StartsWith("/api")))
        {
            if (!OpenApi.TryOperation(doc, method, route, out var operation)) { wrong.Add($"{method} {route}: not documented"); continue; }
            var anonymous = EndpointCatalogue.Allowed[$"{method} {route}"].Any(c => c == EndpointCatalogue.Caller.Anonymous || EndpointCatalogue.Signed(c));
            var secured = operation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0;
            if (secured == anonymous) wrong.Add($"{method} {route}: security {(secured ? "declared" : "missing")}");
            var answers = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
            var expected = (anonymous ? [] : new[] { "401", "403" }).Concat(method == "GET" ? [] : ["400", "409"]);
            foreach (var status in expected.Where(s => !answers.Contains(s))) wrong.Add($"{method} {route}: {status} not documented");
        }

        foreach (var schema in doc.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            if (!schema.Value.TryGetProperty("required", out var required) || !schema.Value.TryGetProperty("properties", out var properties)) continue;
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                if (properties.TryGetProperty(name, out var property) && OpenApi.MayBeNull(property))
                    wrong.Add($"{schema.Name}.{name}: may be null, yet required");
        }
        wrong.ShouldBeEmpty();

        var desk = doc.GetProperty("components").GetProperty("schemas").GetProperty("CrossingAtPort");
        (desk.TryGetProperty("required", out var deskRequired) ? deskRequired.EnumerateArray().Select(r => r.GetString()).ToList() : []).ShouldBeEmpty();
        OpenApi.TryOperation(doc, "POST", "/api/traveller/status", out var travellerStatus).ShouldBeTrue();
        travellerStatus.TryGetProperty("security", out _).ShouldBeFalse("travellers need no token");
    }
}

/// <summary>Reads the served OpenAPI document.</summary>
public static class OpenApi
{
    public static async Task<JsonElement> LoadAsync(IAlbaHost host) =>
        JsonDocument.Parse(await (await host.Scenario(s => s.Get.Url("/openapi/v1.json"))).ReadAsTextAsync()).RootElement;

    public static bool TryOperation(JsonElement doc, string method, string route, out JsonElement operation)
    {
        operation = default;
        return doc.GetProperty("paths").TryGetProperty(route, out var path) && path.TryGetProperty(method.ToLowerInvariant(), out operation);
    }

    /// <summary>Whether the document says <paramref name="method"/> <paramref name="route"/> may answer <paramref name="status"/>.</summary>
    public static bool Documents(JsonElement doc, string method, string route, int status) =>
        TryOperation(doc, method, route, out var operation) && operation.GetProperty("responses").TryGetProperty(status.ToString(), out _);

    public static bool MayBeNull(JsonElement property) =>
        property.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array && type.EnumerateArray().Any(t => t.GetString() == "null")
        || new[] { "oneOf", "anyOf" }.Any(k => property.TryGetProperty(k, out var options) && options.EnumerateArray().Any(MayBeNull));
}
