extern alias standin;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marhaba.Simulator;
using Npgsql;
using StandIn = standin::Marhaba.PortAuthority;

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
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("operator", [Roles.Operator], company: "FRS"));
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
        request.Headers.Add(Idempotency.Header, "arrival-" + reference);
        return request;
    }

    /// <summary>A server linked to the stand-in authority, its business time <paramref name="clockOffsetSeconds"/> off the real one.</summary>
    public static Dictionary<string, string> LinkedTo(StandInAuthorityServer authority, int clockOffsetSeconds) => new()
    {
        ["Clock__OffsetSeconds"] = clockOffsetSeconds.ToString(),
        ["PortAuthority__BaseUrl"] = authority.Url,
        ["PortAuthority__Secret"] = authority.Secret,
        ["PortAuthority__AuthorityId"] = StandInAuthorityServer.AuthorityId,
    };

    /// <summary>
    /// Work a node keeps for later: a critical medical case (its deadline a scheduled message; with business time
    /// 1 min 55 s behind it falls 5 s from now) and a Genova sailing's boarding (its departure report in the outbox,
    /// waiting while the authority is down).
    /// </summary>
    public static async Task<(AssistanceRequestOpenedResponse Request, SailingSummary Sailing)> LeaveWorkPendingAsync(ServerProcess node, TokenIssuer tokens)
    {
        using var client = node.Client(2);
        var opened = await (await client.PostAsJsonAsync("/api/traveller/assistance", new OpenAssistanceRequest(null, null,
            AssistanceCategory.Medical, Urgency.Critical, "MAPTM", "Collapsed at the gangway", Language.fr, null, null), Json.Options))
            .Content.ReadFromJsonAsync<AssistanceRequestOpenedResponse>(Json.Options);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint("planner", [Roles.Planner]));
        var sailing = await (await client.PostAsJsonAsync("/api/sailings", new ScheduleSailing("ITGOA-MAPTM", Direction.Inbound, "GNV", "GNV Allegra",
            DateTimeOffset.UtcNow.AddHours(3), null, 1000, 1200), Json.Options)).Content.ReadFromJsonAsync<SailingSummary>(Json.Options);
        (await client.PostAsJsonAsync($"/api/sailings/{sailing!.Id}/boarding", new { })).EnsureSuccessStatusCode();
        return (opened!, sailing);
    }

    /// <summary>
    /// Waits until that work is done (an escalation stored, a report received), then a little more for a second,
    /// wrong, execution to show: the escalations and the reports as they are then.
    /// </summary>
    public static async Task<(long Escalations, List<StandIn.ReceivedMessage> Reports)> PendingWorkDoneAsync(
        string connection, StandInAuthorityServer authority, TimeSpan within)
    {
        const string escalated = "select count(*) from marhaba.mt_events where type = 'assistance_request_escalated'";
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < within && (await CountAsync(connection, escalated) == 0 || (await authority.StatsAsync()).Received == 0))
            await Task.Delay(500);
        await Task.Delay(TimeSpan.FromSeconds(3));
        return (await CountAsync(connection, escalated), await authority.ReceivedAsync("departure-report"));
    }

    public static async Task<long> CountAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection + ";Pooling=false");
        await conn.OpenAsync();
        return (long)(await new NpgsqlCommand(sql, conn).ExecuteScalarAsync())!;
    }
}
