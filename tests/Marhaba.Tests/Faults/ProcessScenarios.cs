using System.Net.Http.Headers;
using System.Net.Http.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marhaba.Simulator;

namespace Marhaba.Tests.Faults;

/// <summary>What the scenarios against server processes do through the API, as its users would.</summary>
public static class ProcessScenarios
{
    /// <summary>A sailing from Algeciras, booked with families of three, has left for Tanger Med: their booking references.</summary>
    public static async Task<List<string>> BookAndSailAsync(ServerProcess node, TokenIssuer tokens, int crossings)
    {
        using var client = node.Client(4);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
        var sailing = (await (await client.PostAsJsonAsync("/api/sailings", new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", "Tanger Express",
            DateTimeOffset.UtcNow.AddHours(2), null, Math.Max(1200, crossings * 3), 0), Json.Options)).Content.ReadFromJsonAsync<SailingSummary>(Json.Options))!;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("operator", [Roles.Operator], lines: ["ESALG-MAPTM"]));
        var references = new List<string>();
        for (var i = 0; i < crossings; i++)
            references.Add((await (await client.PostAsJsonAsync("/api/crossings", new BookCrossing(sailing.Id, 2, 1, null), Json.Options))
                .Content.ReadFromJsonAsync<CrossingBookedResponse>(Json.Options))!.BookingReference);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
        (await client.PostAsJsonAsync($"/api/sailings/{sailing.Id}/departure", new RecordDeparture(null, null, null), Json.Options)).EnsureSuccessStatusCode();
        return references;
    }

    /// <summary>A port agent's arrival at Tanger Med, keyed by its booking reference (a retry sends the same key).</summary>
    public static HttpRequestMessage Arrival(string reference, string lane)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/ports/MAPTM/arrivals")
        {
            Content = JsonContent.Create(new CrossingAtPort(reference, null, lane, null), options: Json.Options)
        };
        request.Headers.Add(IdempotencyMiddleware.Header, "arrival-" + reference);
        return request;
    }
}
