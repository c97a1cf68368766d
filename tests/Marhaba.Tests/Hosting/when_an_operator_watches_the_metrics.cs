using Alba;
using Marhaba.Crossings;

namespace Marhaba.Tests.Hosting;

/// <summary>The figures an operator watches on a peak day, scraped as Prometheus reads them.</summary>
public class when_an_operator_watches_the_metrics(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task requests_per_endpoint_database_commands_messages_projection_lag_and_the_authority_link_are_exposed()
    {
        var (booking, _) = await BookedAndSailed();
        await Record("MAPTM", Token(Marhaba.Hosting.Roles.PortStaff, "MAPTM"), new CrossingAtPort(booking.BookingReference, null, null, null), 200);
        await Host.Scenario(s => { s.Get.Url("/api/crossings/" + Guid.NewGuid()); s.WithBearerToken(Token(Marhaba.Hosting.Roles.Agent)); s.StatusCodeShouldBe(404); });

        string text = "";
        for (var attempt = 0; attempt < 40 && !(text.Contains("marhaba_projection_lag") && text.Contains("http_server_request_duration")); attempt++)
        {
            if (attempt > 0) await Task.Delay(500);
            text = await (await Host.Scenario(s => s.Get.Url("/metrics"))).ReadAsTextAsync();
        }

        // Requests and errors per endpoint: the route template, never an id or a reference.
        text.ShouldContain("http_route=\"/api/ports/{port}/arrivals\"");
        text.ShouldContain("http_response_status_code=\"404\"");
        text.ShouldNotContain(booking.BookingReference);
        text.ShouldContain("marhaba_projection_lag{");
        text.ShouldContain("projection=\"");
        text.ShouldContain("marhaba_port_authority_circuit");
        text.ShouldContain("wolverine_outbox_count");
        text.ShouldContain("marten_sailingload_all_gap");
        text.ShouldContain("db_client_");
    }
}
