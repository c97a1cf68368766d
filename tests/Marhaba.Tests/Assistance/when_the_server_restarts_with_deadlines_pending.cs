using Alba;
using Marhaba.Assistance;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine;

namespace Marhaba.Tests.Assistance;

public class when_the_server_restarts_with_deadlines_pending(AppFixture app) : Scenario(app)
{
    private Task<IAlbaHost> Node() => App.StartNodeAsync();

    [Fact]
    public async Task an_escalation_scheduled_by_a_stopped_node_is_carried_out_once_by_the_nodes_still_running()
    {
        // Business time 2 minutes behind the wall: the 2-minute deadline falls due 15 seconds from now, time
        // enough to stop the first node and move business time on before a check fires (one fired early waits again).
        App.Clock.SetUtcNow(DateTimeOffset.UtcNow.AddMinutes(-2).AddSeconds(15));
        Guid requestId;
        await using (var node = await Node())
        {
            var result = await node.Scenario(s =>
            {
                s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.Medical, Urgency.Critical, "MAPTM",
                    "Unconscious passenger on deck 5", Language.it, null, null)).ToUrl("/api/traveller/assistance");
                s.StatusCodeShouldBe(201);
            });
            requestId = (await result.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!.RequestId;
        } // the node that scheduled the deadlines stops here

        // The deadlines were stored in PostgreSQL with the request, not in the stopped node's memory.
        await using (var conn = new NpgsqlConnection(App.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "select count(*) from marhaba.wolverine_incoming_envelopes where message_type like '%CheckAssistanceTimeLimit%'", conn);
            ((long)(await cmd.ExecuteScalarAsync())!).ShouldBeGreaterThanOrEqualTo(1);
        }

        // A restarted node and the fixture's node both run; the escalation happens once.
        App.Clock.SetUtcNow(DateTimeOffset.UtcNow.AddMinutes(1));
        await using var restarted = await Node();
        var escalations = 0;
        for (var attempt = 0; attempt < 120 && escalations == 0; attempt++)
        {
            await Task.Delay(500);
            await using var session = App.Store.QuerySession();
            escalations = (await session.Events.FetchStreamAsync(requestId)).Count(e => e.Data is AssistanceRequestEscalated);
        }
        // Give a second, wrong, firing (by the other node) the time to show before counting.
        await Task.Delay(2000);
        await using var check = App.Store.QuerySession();
        (await check.Events.FetchStreamAsync(requestId)).Count(e => e.Data is AssistanceRequestEscalated).ShouldBe(1);
    }
}
